export function BuilderPage() {
  return <div>Builder</div>;
}
