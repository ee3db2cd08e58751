// A small set of line icons (own drawings), so the UI loads no icon font.
const PATHS: Record<string, string> = {
  search: "M11 19a8 8 0 1 1 5.3-2l4.2 4.2-1.4 1.4-4.2-4.2A8 8 0 0 1 11 19zm0-2a6 6 0 1 0 0-12 6 6 0 0 0 0 12z",
  star: "M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z",
  plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
  undo: "M8 7V3L2 9l6 6v-4h6a4 4 0 0 1 0 8h-3v2h3a6 6 0 0 0 0-12z",
  redo: "M16 7V3l6 6-6 6v-4h-6a4 4 0 0 0 0 8h3v2h-3a6 6 0 0 1 0-12z",
  layout: "M3 4h6v6H3zm12 0h6v6h-6zM9 14h6v6H9zM9 7h6v2H9zm2 2h2v5h-2z",
  sun: "M12 7a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm-1-6h2v3h-2zm0 19h2v3h-2zM1 11h3v2H1zm19 0h3v2h-3z",
  moon: "M20 15.5A9 9 0 0 1 8.5 4 8 8 0 1 0 20 15.5z",
  note: "M4 4h16v11l-5 5H4zm10 15 5-5h-5z",
  trash: "M9 3h6l1 2h4v2H4V5h4zm-3 6h12l-1 12H7z",
  copy: "M8 8h12v12H8zM4 4h12v2H6v10H4z",
  docs: "M5 3h10l4 4v14H5zm9 1v4h4",
  bolt: "M13 2 4 14h7l-1 8 9-12h-7z",
  close: "M6 5l6 6 6-6 1 1-6 6 6 6-1 1-6-6-6 6-1-1 6-6-6-6z",
  alignLeft: "M4 3h2v18H4zm4 4h10v4H8zm0 6h6v4H8z",
  alignTop: "M3 4h18v2H3zm4 4h4v10H7zm6 0h4v6h-4z",
  alignCenter: "M11 3h2v18h-2zM6 7h12v4H6zm2 6h8v4H8z",
  alignMiddle: "M3 11h18v2H3zm4-5h4v12H7zm6 2h4v8h-4z",
  palette: "M4 4h7v7H4zm9 0h7v7h-7zM4 13h7v7H4zm9 0h7v7h-7z",
  save: "M5 3h11l3 3v15H5zm3 2v4h7V5zm0 10v4h8v-4z",
  upload: "M11 16V7.8L7.4 11.4 6 10l6-6 6 6-1.4 1.4L13 7.8V16zM5 18h14v2H5z",
  download: "M11 4h2v8.2l3.6-3.6L18 10l-6 6-6-6 1.4-1.4 3.6 3.6zM5 18h14v2H5z",
  check: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
  warning: "M12 2 1 21h22zm-1 7h2v6h-2zm0 8h2v2h-2z",
  play: "M7 4v16l13-8z",
  pin: "M14 2l8 8-2 1-3-3-4 4 1 5-2 2-4-4-4 4-1-1 4-4-4-4 2-2 5 1 4-4-3-3z",
  history: "M13 3a9 9 0 1 1-8.5 12h2.1A7 7 0 1 0 6.3 8H9v2H3V4h2v2.6A9 9 0 0 1 13 3zm-1 4h2v5l4 2.3-1 1.7-5-3z",
  spinner: "M12 2a10 10 0 0 1 10 10h-2a8 8 0 0 0-8-8z",
  x: "M6 5l6 6 6-6 1 1-6 6 6 6-1 1-6-6-6 6-1-1 6-6-6-6z",
  fit: "M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z",
};

export function Icon({ name, size = 16, title }: { name: keyof typeof PATHS | string; size?: number; title?: string }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="currentColor" aria-hidden={title ? undefined : true} role={title ? "img" : undefined}>
      {title && <title>{title}</title>}
      <path d={PATHS[name] ?? ""} />
    </svg>
  );
}
