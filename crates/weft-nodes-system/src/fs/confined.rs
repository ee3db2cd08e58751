//! File operations confined to one directory, the files root.
//!
//! Every path is relative to the root and is walked one component at a time: each directory is
//! opened with `openat(parent_fd, name, O_DIRECTORY | O_NOFOLLOW)` and the last component is
//! opened, created, renamed or removed relative to its parent's descriptor, again without
//! following links. Nothing is ever resolved by the kernel from a full path string, so a
//! symlink (or a directory swapped for one after a check) can never lead the operation out of
//! the root: the check and the use are the same system call.
//!
//! Policy: symbolic links are never followed, whether they point inside or outside the root.
//! A link that leads out of the root (or nowhere) is refused as `fs.outside_root`; one that
//! stays inside is refused as `fs.symlink`. Following in-root links safely would mean
//! re-implementing path resolution with a hop limit; refusing them keeps the rule short.
//! `list` still reports links (`isSymlink: true`) but never descends into them.
//!
//! All functions here block; callers run them on the blocking pool.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use globset::GlobMatcher;
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use serde_json::{Value, json};
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::CancellationToken;
use weft_node_api::NodeError;

/// Deepest directory level `list` descends to below the listed directory.
pub const MAX_LIST_DEPTH: usize = 64;

/// A path inside the root, checked for shape (not yet for links).
#[derive(Debug, Clone)]
pub struct RelPath {
    /// As written by the user, for messages.
    raw: String,
    /// Normal components; empty for the root itself.
    parts: Vec<OsString>,
}

impl RelPath {
    /// Checks a user's path: relative, no `..`, no NUL byte. `.` and empty components are
    /// dropped, so `"."` names the root.
    pub fn parse(raw: &str) -> Result<RelPath, NodeError> {
        if raw.is_empty() {
            return Err(NodeError::invalid_params(
                "/params/path",
                "must not be empty; use \".\" for the files root",
            ));
        }
        if raw.contains('\0') {
            return Err(outside(raw, "it contains a NUL byte"));
        }
        let mut parts = Vec::new();
        for c in Path::new(raw).components() {
            match c {
                Component::Normal(s) => parts.push(s.to_os_string()),
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) => {
                    return Err(outside(
                        raw,
                        "it is absolute; paths are relative to the files root",
                    ));
                }
                Component::ParentDir => {
                    return Err(outside(
                        raw,
                        "it contains a `..` component; paths may not climb, even when they would stay inside",
                    ));
                }
            }
        }
        Ok(RelPath {
            raw: raw.to_string(),
            parts,
        })
    }

    /// The normalized path relative to the root (`.` for the root).
    pub fn normalized(&self) -> String {
        if self.parts.is_empty() {
            return ".".to_string();
        }
        join_display(&self.parts)
    }

    fn is_root(&self) -> bool {
        self.parts.is_empty()
    }
}

fn join_display(parts: &[OsString]) -> String {
    parts
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn outside(raw: &str, why: &str) -> NodeError {
    NodeError::permanent("fs.outside_root", format!("path {raw:?} is refused: {why}"))
        .with_details(json!({ "path": raw }))
}

/// The canonical files root.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
}

/// How `write` treats an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fail when the file exists.
    Create,
    /// Replace the file's content.
    Overwrite,
    /// Add to the end of the file (created when missing).
    Append,
}

impl WriteMode {
    /// The name used in params and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMode::Create => "create",
            WriteMode::Overwrite => "overwrite",
            WriteMode::Append => "append",
        }
    }
}

/// How file content travels in items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Text, which must be valid UTF-8.
    Utf8,
    /// Any bytes, as standard base64.
    Base64,
}

impl Encoding {
    /// The name used in params and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Base64 => "base64",
        }
    }
}

/// A listing request.
pub struct ListRequest<'a> {
    /// The directory.
    pub path: &'a RelPath,
    /// Keeps entries whose path relative to the listed directory matches.
    pub glob: Option<&'a GlobMatcher>,
    /// Descend into subdirectories.
    pub recursive: bool,
    /// Stop after this many entries.
    pub max_entries: usize,
    /// Checked between directories.
    pub cancel: &'a CancellationToken,
}

/// What `list` found.
pub struct Listing {
    /// One JSON object per entry, in path order.
    pub entries: Vec<Value>,
    /// Whether `max_entries` stopped the walk.
    pub truncated: bool,
    /// Directories not entered because they are deeper than [`MAX_LIST_DEPTH`].
    pub too_deep: usize,
}

impl Root {
    /// Canonicalizes the configured root once.
    pub fn open(configured: &Path) -> Result<Root, String> {
        let path = std::fs::canonicalize(configured).map_err(|e| {
            format!(
                "the files root {} cannot be used: {e}",
                configured.display()
            )
        })?;
        if !path.is_dir() {
            return Err(format!(
                "the files root {} is not a directory",
                configured.display()
            ));
        }
        Ok(Root { path })
    }

    /// The canonical root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn root_fd(&self) -> Result<OwnedFd, NodeError> {
        rustix::fs::openat(
            CWD,
            &self.path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            NodeError::permanent(
                "fs.root_unavailable",
                format!(
                    "the files root {} cannot be opened: {}",
                    self.path.display(),
                    std::io::Error::from(e)
                ),
            )
        })
    }

    /// The error for a link met at `parts` (a prefix of `rel`): `fs.outside_root` when it
    /// leads out of the root or nowhere, `fs.symlink` when it stays inside. Only the error
    /// code depends on this check; the link is refused either way.
    fn link_error(&self, rel: &RelPath, parts: &[OsString]) -> NodeError {
        let at = join_display(parts);
        let inside = std::fs::canonicalize(self.path.join(at.as_str()))
            .is_ok_and(|target| target.starts_with(&self.path));
        let what = if at == rel.normalized() {
            "it is a symbolic link".to_string()
        } else {
            format!("{at:?} is a symbolic link")
        };
        if inside {
            NodeError::permanent(
                "fs.symlink",
                format!(
                    "path {:?} is refused: {what}; the FileSystem node never follows symbolic links, even ones that stay inside the files root",
                    rel.raw
                ),
            )
            .with_details(json!({ "path": rel.raw, "link": at }))
        } else {
            NodeError::permanent(
                "fs.outside_root",
                format!(
                    "path {:?} is refused: {what} that leads outside the files root (or nowhere)",
                    rel.raw
                ),
            )
            .with_details(json!({ "path": rel.raw, "link": at }))
        }
    }

    /// Opens the directory named by `parts`, one component at a time without following links.
    /// With `create`, missing directories are made on the way.
    fn open_dir(
        &self,
        rel: &RelPath,
        parts: &[OsString],
        create: bool,
    ) -> Result<OwnedFd, NodeError> {
        let mut cur = self.root_fd()?;
        for (i, part) in parts.iter().enumerate() {
            let open = |dir: &OwnedFd| {
                rustix::fs::openat(
                    dir,
                    part.as_os_str(),
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
            };
            let mut opened = open(&cur);
            if opened.as_ref().err() == Some(&Errno::NOENT) && create {
                match rustix::fs::mkdirat(&cur, part.as_os_str(), Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => opened = open(&cur),
                    Err(e) => return Err(io_error(e, "create directory", rel, &parts[..=i])),
                }
            }
            let next = match opened {
                Ok(fd) => fd,
                Err(e) => {
                    // ELOOP or ENOTDIR from O_NOFOLLOW: say that it is a link, and where to.
                    if lstat(&cur, part)?.is_some_and(|st| is_link(&st)) {
                        return Err(self.link_error(rel, &parts[..=i]));
                    }
                    return Err(io_error(e, "open", rel, &parts[..=i]));
                }
            };
            cur = next;
        }
        Ok(cur)
    }

    /// The parent directory's descriptor and the last component, for operations on a file.
    fn parent(&self, rel: &RelPath, create: bool) -> Result<(OwnedFd, OsString), NodeError> {
        let Some((name, dirs)) = rel.parts.split_last() else {
            return Err(NodeError::permanent(
                "fs.is_directory",
                format!("path {:?} names the files root itself, not a file", rel.raw),
            ));
        };
        Ok((self.open_dir(rel, dirs, create)?, name.clone()))
    }

    /// Reads a regular file of at most `max_bytes`.
    pub fn read(
        &self,
        rel: &RelPath,
        encoding: Encoding,
        max_bytes: u64,
    ) -> Result<Value, NodeError> {
        let (dir, name) = self.parent(rel, false)?;
        match lstat(&dir, &name)? {
            None => return Err(not_found(rel)),
            Some(st) if is_link(&st) => return Err(self.link_error(rel, &rel.parts)),
            Some(st) if is_dir(&st) => {
                return Err(NodeError::permanent(
                    "fs.is_directory",
                    format!(
                        "path {:?} is a directory; use operation \"list\" to see what it holds",
                        rel.raw
                    ),
                ));
            }
            Some(_) => {}
        }
        // NOFOLLOW again: the entry may have been swapped for a link since the check above.
        // NONBLOCK: opening a FIFO must not hang the step.
        let fd = rustix::fs::openat(
            &dir,
            name.as_os_str(),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.open_error(e, rel))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| io_error(e, "stat", rel, &rel.parts))?;
        if !is_file(&st) {
            return Err(not_a_file(rel));
        }
        let size = st.st_size.max(0) as u64;
        if size > max_bytes {
            return Err(too_large(rel, size, max_bytes));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        // The file may grow while it is read: read one byte past the limit to notice.
        std::fs::File::from(fd)
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| std_io_error(&e, "read", rel))?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(rel, bytes.len() as u64, max_bytes));
        }
        let content = match encoding {
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&bytes),
            Encoding::Utf8 => String::from_utf8(bytes.clone()).map_err(|e| {
                NodeError::permanent(
                    "fs.not_utf8",
                    format!(
                        "file {:?} is not UTF-8 text (invalid byte at offset {}); read it with encoding \"base64\"",
                        rel.raw,
                        e.utf8_error().valid_up_to()
                    ),
                )
            })?,
        };
        Ok(json!({
            "path": rel.normalized(),
            "encoding": encoding.as_str(),
            "content": content,
            "size": bytes.len(),
            "modified": modified(&st),
        }))
    }

    /// Writes `bytes` to a file. `create` and `overwrite` with `atomic` write a temporary file
    /// in the same directory and rename it over the target, so readers see the old or the new
    /// content, never a mix; `append` always writes in place.
    pub fn write(
        &self,
        rel: &RelPath,
        bytes: &[u8],
        mode: WriteMode,
        create_parents: bool,
        atomic: bool,
    ) -> Result<Value, NodeError> {
        let (dir, name) = self.parent(rel, create_parents)?;
        let existing = lstat(&dir, &name)?;
        match existing {
            Some(st) if is_link(&st) => return Err(self.link_error(rel, &rel.parts)),
            Some(st) if is_dir(&st) => {
                return Err(NodeError::permanent(
                    "fs.is_directory",
                    format!("path {:?} is a directory, not a file", rel.raw),
                ));
            }
            Some(st) if !is_file(&st) => return Err(not_a_file(rel)),
            Some(_) if mode == WriteMode::Create => return Err(exists(rel)),
            _ => {}
        }
        let size = if mode == WriteMode::Append || !atomic {
            self.write_in_place(&dir, &name, rel, bytes, mode)?
        } else {
            self.write_atomic(&dir, &name, rel, bytes, mode, existing.as_ref())?
        };
        Ok(json!({
            "path": rel.normalized(),
            "mode": mode.as_str(),
            "bytesWritten": bytes.len(),
            "size": size,
        }))
    }

    fn write_in_place(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        rel: &RelPath,
        bytes: &[u8],
        mode: WriteMode,
    ) -> Result<u64, NodeError> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let flags = match mode {
            WriteMode::Create => flags | OFlags::EXCL,
            WriteMode::Overwrite => flags | OFlags::NONBLOCK,
            WriteMode::Append => flags | OFlags::APPEND | OFlags::NONBLOCK,
        };
        let fd = rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o666))
            .map_err(|e| self.open_error(e, rel))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| io_error(e, "stat", rel, &rel.parts))?;
        if !is_file(&st) {
            return Err(not_a_file(rel));
        }
        if mode == WriteMode::Overwrite {
            // Truncate only once the target is known to be a regular file.
            rustix::fs::ftruncate(&fd, 0).map_err(|e| io_error(e, "truncate", rel, &rel.parts))?;
        }
        let mut file = std::fs::File::from(fd);
        file.write_all(bytes)
            .and_then(|()| file.sync_data())
            .map_err(|e| std_io_error(&e, "write", rel))?;
        let st = rustix::fs::fstat(&file).map_err(|e| io_error(e, "stat", rel, &rel.parts))?;
        Ok(st.st_size.max(0) as u64)
    }

    fn write_atomic(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        rel: &RelPath,
        bytes: &[u8],
        mode: WriteMode,
        existing: Option<&Stat>,
    ) -> Result<u64, NodeError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut tmp = OsString::from(".");
        tmp.push(name);
        tmp.push(format!(
            ".{}-{}.weft-tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let fd = rustix::fs::openat(
            dir,
            tmp.as_os_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .map_err(|e| io_error(e, "create a temporary file for", rel, &rel.parts))?;
        let remove_tmp = || {
            let _ = rustix::fs::unlinkat(dir, tmp.as_os_str(), AtFlags::empty());
        };
        let mut file = std::fs::File::from(fd);
        let written = (|| {
            if let Some(st) = existing {
                // Keep the permissions of the file being replaced.
                rustix::fs::fchmod(&file, Mode::from_raw_mode(st.st_mode & 0o7777))?;
            }
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            remove_tmp();
            return Err(std_io_error(&e, "write", rel));
        }
        drop(file);
        let placed = match mode {
            // A hard link fails when the target exists, which makes "create" race-free. File
            // systems without hard links get the same guarantee from renameat2(NOREPLACE).
            WriteMode::Create => {
                match rustix::fs::linkat(dir, tmp.as_os_str(), dir, name, AtFlags::empty()) {
                    Ok(()) => {
                        remove_tmp();
                        Ok(())
                    }
                    #[cfg(any(target_os = "linux", target_os = "android"))]
                    Err(Errno::PERM | Errno::NOTSUP | Errno::MLINK) => rustix::fs::renameat_with(
                        dir,
                        tmp.as_os_str(),
                        dir,
                        name,
                        rustix::fs::RenameFlags::NOREPLACE,
                    ),
                    Err(e) => Err(e),
                }
            }
            _ => rustix::fs::renameat(dir, tmp.as_os_str(), dir, name),
        };
        if let Err(e) = placed {
            remove_tmp();
            return Err(match e {
                Errno::EXIST => exists(rel),
                e => io_error(e, "write", rel, &rel.parts),
            });
        }
        // Make the rename itself durable.
        let _ = rustix::fs::fsync(dir);
        Ok(bytes.len() as u64)
    }

    /// Lists a directory.
    pub fn list(&self, req: &ListRequest<'_>) -> Result<Listing, NodeError> {
        let fd = self.open_dir(req.path, &req.path.parts, false)?;
        let mut listing = Listing {
            entries: Vec::new(),
            truncated: false,
            too_deep: 0,
        };
        let base = if req.path.is_root() {
            String::new()
        } else {
            format!("{}/", req.path.normalized())
        };
        self.list_dir(req, &fd, &base, "", 0, &mut listing)?;
        Ok(listing)
    }

    fn list_dir(
        &self,
        req: &ListRequest<'_>,
        fd: &OwnedFd,
        base: &str,
        prefix: &str,
        depth: usize,
        out: &mut Listing,
    ) -> Result<(), NodeError> {
        if req.cancel.is_cancelled() {
            return Err(weft_nodes::common::cancelled());
        }
        let here = format!("{base}{prefix}");
        let here_rel = RelPath {
            raw: if here.is_empty() {
                ".".into()
            } else {
                here.trim_end_matches('/').into()
            },
            parts: Vec::new(),
        };
        let names = read_names(fd).map_err(|e| io_error(e, "list", &here_rel, &[]))?;
        for name in names {
            if out.entries.len() >= req.max_entries {
                out.truncated = true;
                return Ok(());
            }
            let Some(st) = lstat(fd, &name)? else {
                continue; // removed while listing
            };
            let relative = format!("{prefix}{}", name.to_string_lossy());
            if req.glob.is_none_or(|g| g.is_match(&relative)) {
                out.entries.push(json!({
                    "name": name.to_string_lossy(),
                    "path": format!("{base}{relative}"),
                    "size": st.st_size.max(0),
                    "modified": modified(&st),
                    "isDir": is_dir(&st),
                    "isSymlink": is_link(&st),
                }));
            }
            if req.recursive && is_dir(&st) {
                if depth + 1 > MAX_LIST_DEPTH {
                    out.too_deep += 1;
                    continue;
                }
                let child = rustix::fs::openat(
                    fd,
                    name.as_os_str(),
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| {
                    let rel = RelPath {
                        raw: format!("{base}{relative}"),
                        parts: Vec::new(),
                    };
                    io_error(e, "list", &rel, &[])
                })?;
                self.list_dir(req, &child, base, &format!("{relative}/"), depth + 1, out)?;
            }
        }
        Ok(())
    }

    /// Deletes a file, or a directory and everything in it when `recursive`.
    pub fn delete(
        &self,
        rel: &RelPath,
        recursive: bool,
        missing_ok: bool,
    ) -> Result<Value, NodeError> {
        if rel.is_root() {
            return Err(NodeError::permanent(
                "fs.is_root",
                format!(
                    "path {:?} names the files root itself, which is never deleted",
                    rel.raw
                ),
            ));
        }
        let (dir, name) = match self.parent(rel, false) {
            Err(e) if missing_ok && e.code == "fs.not_found" => {
                return Ok(json!({ "path": rel.normalized(), "deleted": false }));
            }
            other => other?,
        };
        let kind = match lstat(&dir, &name)? {
            None if missing_ok => return Ok(json!({ "path": rel.normalized(), "deleted": false })),
            None => return Err(not_found(rel)),
            Some(st) if is_link(&st) => return Err(self.link_error(rel, &rel.parts)),
            Some(st) if is_dir(&st) => {
                if !recursive {
                    return Err(NodeError::permanent(
                        "fs.is_directory",
                        format!(
                            "path {:?} is a directory; set recursive: true to delete it and everything in it",
                            rel.raw
                        ),
                    ));
                }
                remove_tree(&dir, &name).map_err(|e| io_error(e, "delete", rel, &rel.parts))?;
                rustix::fs::unlinkat(&dir, name.as_os_str(), AtFlags::REMOVEDIR)
                    .map_err(|e| io_error(e, "delete", rel, &rel.parts))?;
                "directory"
            }
            Some(_) => {
                rustix::fs::unlinkat(&dir, name.as_os_str(), AtFlags::empty())
                    .map_err(|e| io_error(e, "delete", rel, &rel.parts))?;
                "file"
            }
        };
        Ok(json!({ "path": rel.normalized(), "deleted": true, "kind": kind }))
    }

    /// Facts about a path; a missing path (or a missing directory on the way) is
    /// `exists: false`, not an error.
    pub fn stat(&self, rel: &RelPath) -> Result<Value, NodeError> {
        let missing = json!({ "path": rel.normalized(), "exists": false });
        let st = if rel.is_root() {
            rustix::fs::fstat(self.root_fd()?).map_err(|e| io_error(e, "stat", rel, &[]))?
        } else {
            let (dir, name) = match self.parent(rel, false) {
                Err(e) if e.code == "fs.not_found" || e.code == "fs.not_a_directory" => {
                    return Ok(missing);
                }
                other => other?,
            };
            match lstat(&dir, &name)? {
                None => return Ok(missing),
                Some(st) if is_link(&st) => return Err(self.link_error(rel, &rel.parts)),
                Some(st) => st,
            }
        };
        Ok(json!({
            "path": rel.normalized(),
            "exists": true,
            "isDir": is_dir(&st),
            "isFile": is_file(&st),
            "size": st.st_size.max(0),
            "modified": modified(&st),
        }))
    }

    fn open_error(&self, e: Errno, rel: &RelPath) -> NodeError {
        // ELOOP from O_NOFOLLOW: the entry became a link after it was checked.
        if e == Errno::LOOP {
            self.link_error(rel, &rel.parts)
        } else if e == Errno::EXIST {
            exists(rel)
        } else {
            io_error(e, "open", rel, &rel.parts)
        }
    }
}

/// `lstat` of one entry of a directory; `None` when it does not exist.
fn lstat(dir: &OwnedFd, name: &OsStr) -> Result<Option<Stat>, NodeError> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st)),
        Err(Errno::NOENT) | Err(Errno::NOTDIR) => Ok(None),
        Err(e) => Err(NodeError::permanent(
            "fs.io",
            format!(
                "cannot inspect {:?}: {}",
                name.to_string_lossy(),
                std::io::Error::from(e)
            ),
        )),
    }
}

/// The names in a directory, sorted, without `.` and `..`.
fn read_names(fd: &OwnedFd) -> Result<Vec<OsString>, Errno> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(fd)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_os_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Empties a directory (not following links: a link inside is removed, not its target).
fn remove_tree(parent: &OwnedFd, name: &OsStr) -> Result<(), Errno> {
    let fd = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    for child in read_names(&fd)? {
        let st = match rustix::fs::statat(&fd, child.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(e),
        };
        if is_dir(&st) {
            remove_tree(&fd, &child)?;
            rustix::fs::unlinkat(&fd, child.as_os_str(), AtFlags::REMOVEDIR)?;
        } else {
            rustix::fs::unlinkat(&fd, child.as_os_str(), AtFlags::empty())?;
        }
    }
    Ok(())
}

#[allow(clippy::unnecessary_cast)] // `st_mode` is u32 on some targets, c_uint on others.
fn file_type(st: &Stat) -> FileType {
    FileType::from_raw_mode(st.st_mode as _)
}

fn is_link(st: &Stat) -> bool {
    file_type(st) == FileType::Symlink
}

fn is_dir(st: &Stat) -> bool {
    file_type(st) == FileType::Directory
}

fn is_file(st: &Stat) -> bool {
    file_type(st) == FileType::RegularFile
}

#[allow(clippy::unnecessary_cast)] // the field types differ between targets.
fn modified(st: &Stat) -> Value {
    DateTime::<Utc>::from_timestamp(st.st_mtime as i64, st.st_mtime_nsec as u32)
        .map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .unwrap_or(Value::Null)
}

fn not_found(rel: &RelPath) -> NodeError {
    NodeError::permanent(
        "fs.not_found",
        format!("path {:?} does not exist in the files root", rel.raw),
    )
    .with_details(json!({ "path": rel.raw }))
}

fn exists(rel: &RelPath) -> NodeError {
    NodeError::permanent(
        "fs.exists",
        format!(
            "path {:?} already exists; use mode \"overwrite\" or \"append\" to change it",
            rel.raw
        ),
    )
    .with_details(json!({ "path": rel.raw }))
}

fn not_a_file(rel: &RelPath) -> NodeError {
    NodeError::permanent(
        "fs.not_a_file",
        format!(
            "path {:?} is not a regular file (a device, socket or pipe)",
            rel.raw
        ),
    )
    .with_details(json!({ "path": rel.raw }))
}

fn too_large(rel: &RelPath, size: u64, max: u64) -> NodeError {
    NodeError::permanent(
        "fs.too_large",
        format!(
            "file {:?} has {size} bytes, more than maxBytes = {max}; raise maxBytes to read it",
            rel.raw
        ),
    )
    .with_details(json!({ "path": rel.raw, "size": size, "maxBytes": max }))
}

fn std_io_error(e: &std::io::Error, action: &str, rel: &RelPath) -> NodeError {
    match Errno::from_io_error(e) {
        Some(errno) => io_error(errno, action, rel, &rel.parts),
        None => NodeError::permanent("fs.io", format!("cannot {action} {:?}: {e}", rel.raw)),
    }
}

/// Maps a system error to a stable code; `at` is the prefix of `rel` the call was about.
fn io_error(e: Errno, action: &str, rel: &RelPath, at: &[OsString]) -> NodeError {
    let (code, transient) = match e {
        Errno::NOENT => ("fs.not_found", false),
        Errno::NOTDIR => ("fs.not_a_directory", false),
        Errno::ISDIR => ("fs.is_directory", false),
        Errno::EXIST => ("fs.exists", false),
        Errno::ACCESS | Errno::PERM | Errno::ROFS => ("fs.permission_denied", false),
        Errno::NOSPC | Errno::DQUOT => ("fs.no_space", true),
        Errno::INTR | Errno::AGAIN | Errno::BUSY | Errno::IO | Errno::MFILE | Errno::NFILE => {
            ("fs.io", true)
        }
        _ => ("fs.io", false),
    };
    let at_text = join_display(at);
    let where_ = if at.is_empty() || at_text == rel.normalized() {
        format!("{:?}", rel.raw)
    } else {
        format!("{at_text:?} (on the way to {:?})", rel.raw)
    };
    let message = format!("cannot {action} {where_}: {}", std::io::Error::from(e));
    let err = if transient {
        NodeError::transient(code, message)
    } else {
        NodeError::permanent(code, message)
    };
    err.with_details(json!({ "path": rel.raw, "errno": e.raw_os_error() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_for_shape() {
        assert_eq!(RelPath::parse("a/./b/").unwrap().normalized(), "a/b");
        assert_eq!(RelPath::parse(".").unwrap().normalized(), ".");
        for bad in ["/etc/passwd", "../x", "a/../../x", "a/../b", "a\0b"] {
            assert_eq!(
                RelPath::parse(bad).unwrap_err().code,
                "fs.outside_root",
                "{bad}"
            );
        }
        assert_eq!(RelPath::parse("").unwrap_err().code, "params.invalid");
    }
}
