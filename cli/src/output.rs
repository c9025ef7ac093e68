//! Atomic output: a result either appears whole at its path or not at all.
//!
//! [`CheckedOutput::check`] runs before any work: it checks the output path (not a
//! directory, its directory exists and the caller may create files in it) and,
//! like `cp`, refuses an existing output the caller may not write (a
//! write-protected file, or another user's file in a shared directory). It also
//! removes temporary files of ours that a killed run left there more than a day
//! ago. Only when the result is ready does [`CheckedOutput::create`] make the
//! hidden temporary file next to the output, so a run killed while it decodes or
//! computes leaves nothing behind. The result is written into that file, flushed
//! to disk, and [`PendingOutput::commit`] renames it over the output path in one
//! step. If anything fails before the rename — or the process unwinds from a
//! panic — the temporary file is deleted on drop, no output appears and a file that
//! was already at the path is left untouched. Writing over the input works because
//! the input is fully read before the rename. An interrupt (Ctrl-C, `kill`) deletes
//! the temporary file too (see [`crate::interrupt`]). An output path that is a
//! symbolic link is written through: the result replaces the link's target, and the
//! link stays a link, as a shell's `>` would do.
//!
//! Standard output (`-`) is the other [`Destination`]: the result is encoded in
//! memory and written only once it is complete, so a failure still writes
//! nothing; a terminal is refused as binary output's destination before any work.
//!
//! Temporary files are named `.accel-<pid>-<random>.tmp`: the process id lets a
//! later run tell a file whose process is gone (removed once a day old) from one
//! a running `accel` is still writing.

use std::fs::{self, File, Permissions};
use std::io::{BufWriter, Cursor, IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, describe_io};
use crate::interrupt::Registration;

/// Where a result goes.
#[derive(Debug)]
pub enum Destination {
    /// A file, replaced atomically.
    File(CheckedOutput),
    /// Standard output, written once the result is complete.
    Stdout,
}

/// What a result is encoded into: the output's temporary file, or memory bound
/// for standard output. Encoders may seek in either.
#[derive(Debug)]
pub enum Sink<'a> {
    /// The temporary file.
    File(BufWriter<&'a mut File>),
    /// Memory.
    Memory(Cursor<Vec<u8>>),
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::File(w) => w.write(buf),
            Sink::Memory(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File(w) => w.flush(),
            Sink::Memory(w) => w.flush(),
        }
    }
}

impl Seek for Sink<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        match self {
            Sink::File(w) => w.seek(to),
            Sink::Memory(w) => w.seek(to),
        }
    }
}

impl Destination {
    /// Checks `path` before any work: standard output (`-`) must not be a
    /// terminal; a file path goes through [`CheckedOutput::check`].
    pub fn check(path: &Path) -> Result<Self, Error> {
        if crate::input::is_stdio(path) {
            if std::io::stdout().is_terminal() {
                return Err(Error::usage(
                    "output",
                    "-",
                    "standard output is a terminal; redirect it to a file or a pipe",
                ));
            }
            return Ok(Destination::Stdout);
        }
        CheckedOutput::check(path).map(Destination::File)
    }

    /// Whether the result goes to standard output.
    pub fn is_stdout(&self) -> bool {
        matches!(self, Destination::Stdout)
    }

    /// Writes the result that `fill` encodes into the sink: it appears whole at
    /// the destination, or (if `fill` or the write fails) not at all. `path` is
    /// the output as given, for messages.
    pub fn write(
        self,
        path: &Path,
        fill: impl FnOnce(&mut Sink<'_>) -> Result<(), String>,
    ) -> Result<(), Error> {
        let fail = |reason: String| Error::output(path, reason);
        match self {
            Destination::File(checked) => {
                let mut pending = checked.create()?;
                {
                    let mut sink = Sink::File(BufWriter::new(pending.file()));
                    fill(&mut sink).map_err(fail)?;
                    sink.flush().map_err(|e| fail(describe_io(&e)))?;
                }
                pending.commit()
            }
            Destination::Stdout => {
                let mut sink = Sink::Memory(Cursor::new(Vec::new()));
                fill(&mut sink).map_err(fail)?;
                let Sink::Memory(bytes) = sink else {
                    unreachable!("made as memory above")
                };
                let mut out = std::io::stdout().lock();
                out.write_all(bytes.get_ref())
                    .and_then(|()| out.flush())
                    .map_err(|e| Error::output(Path::new("<stdout>"), describe_io(&e)))
            }
        }
    }
}

/// An output file being written: a temporary file waiting to be renamed into place.
#[derive(Debug)]
pub struct PendingOutput {
    /// The output path as the user gave it, for messages.
    path: PathBuf,
    /// Where the result goes: `path`, or the target of the symbolic link it is.
    target: PathBuf,
    temp: NamedTempFile,
    keep_permissions: Option<Permissions>,
    /// Deletes `temp` if the process is interrupted before the rename.
    interrupt: Registration,
}

/// An output path that passed [`CheckedOutput::check`]; its temporary file does
/// not exist yet.
#[derive(Debug)]
pub struct CheckedOutput {
    path: PathBuf,
    target: PathBuf,
    dir: PathBuf,
    keep_permissions: Option<Permissions>,
}

/// How old a leftover temporary file of a finished process must be before a
/// later run removes it.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

impl CheckedOutput {
    /// Checks that `path` can be written (module docs) and clears stale temporary
    /// files from its directory; creates nothing.
    pub fn check(path: &Path) -> Result<Self, Error> {
        let fail = |reason: String| Error::output(path, reason);
        let target = follow_symlinks(path).map_err(|e| fail(describe_io(&e)))?;
        let existing = match fs::metadata(&target) {
            Ok(meta) if meta.is_dir() => return Err(fail("is a directory".to_string())),
            Ok(meta) => Some(meta.permissions()),
            Err(_) => None,
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = dir.as_path();
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(fail(format!("'{}' is not a directory", dir.display()))),
            Err(e) => {
                return Err(fail(format!(
                    "directory '{}' cannot be used: {}",
                    dir.display(),
                    describe_io(&e)
                )));
            }
        }
        check_writable(dir, &target, existing.as_ref()).map_err(fail)?;
        remove_stale_temporaries(dir);
        Ok(CheckedOutput {
            path: path.to_path_buf(),
            target,
            dir: dir.to_path_buf(),
            keep_permissions: existing,
        })
    }

    /// Creates the temporary file next to the output.
    pub fn create(self) -> Result<PendingOutput, Error> {
        let CheckedOutput {
            path,
            target,
            dir,
            keep_permissions,
        } = self;
        let fail = |reason: String| Error::output(&path, reason);
        let dir = dir.as_path();
        let prefix = format!(".accel-{}-", std::process::id());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Like any newly created file: 0666 less the umask.
            builder.permissions(Permissions::from_mode(0o666));
        }
        let (temp, interrupt) = Registration::create(
            || builder.tempfile_in(dir),
            |temp| temp.path().to_path_buf(),
        )
        .map_err(|e| {
            fail(format!(
                "cannot create a file in directory '{}': {}",
                dir.display(),
                describe_io(&e)
            ))
        })?;
        hold_for_tests();
        Ok(PendingOutput {
            path,
            target,
            temp,
            keep_permissions,
            interrupt,
        })
    }
}

/// Test builds only (`debug_assertions`): waits `ACCEL_TEST_HOLD_OUTPUT_MS`
/// milliseconds once the temporary file exists, so the interrupt tests can signal
/// a run while it has one. Release builds compile this to nothing.
fn hold_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("ACCEL_TEST_HOLD_OUTPUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

impl PendingOutput {
    /// [`CheckedOutput::check`] and [`CheckedOutput::create`] at once.
    #[cfg(test)]
    pub fn prepare(path: &Path) -> Result<Self, Error> {
        CheckedOutput::check(path)?.create()
    }

    /// The temporary file to write the result into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Where the temporary file is: the other ranks of an MPI job write their
    /// rows into it.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Flushes the temporary file to disk and renames it over the output path.
    pub fn commit(self) -> Result<(), Error> {
        let PendingOutput {
            path,
            target,
            temp,
            keep_permissions,
            interrupt,
        } = self;
        let fail = |reason: String| Error::output(&path, reason);
        let file = temp.as_file();
        if let Some(perms) = keep_permissions {
            file.set_permissions(perms)
                .map_err(|e| fail(describe_io(&e)))?;
        }
        file.sync_all()
            .map_err(|e| fail(format!("cannot flush to disk: {}", describe_io(&e))))?;
        interrupt.commit(|| temp.persist(&target)).map_err(|e| {
            fail(format!(
                "cannot move the result into place: {}",
                describe_io(&e.error)
            ))
        })?;
        Ok(())
    }
}

/// The path that writing to `path` should replace: `path` itself, or the final
/// target of the chain of symbolic links it starts (which need not exist yet).
///
/// Following links ourselves bypasses the kernel's `protected_symlinks` check, so
/// it is repeated here: a link in a sticky, world-writable directory (`/tmp`) is
/// followed only if we or the directory's owner own it. Otherwise another user
/// could plant `/tmp/out.png → /etc/passwd` for a root run to overwrite.
fn follow_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    /// Linux's own limit on links followed in one lookup.
    const MAX_LINKS: usize = 40;
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let dir = match current.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                check_link_is_trusted(&current, &meta, &dir)?;
                let target = fs::read_link(&current)?;
                current = if target.is_relative() {
                    dir.join(target)
                } else {
                    target
                };
            }
            _ => return Ok(current),
        }
    }
    #[cfg(unix)]
    return Err(std::io::Error::from_raw_os_error(libc::ELOOP));
    #[cfg(not(unix))]
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// The kernel's `protected_symlinks` rule for the link `link` (metadata `meta`)
/// in `dir`.
#[cfg(unix)]
fn check_link_is_trusted(link: &Path, meta: &fs::Metadata, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    /// Sticky and writable by others, as `/tmp`.
    const SHARED: u32 = 0o1002;
    let dir_meta = fs::metadata(dir)?;
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if dir_meta.mode() & SHARED == SHARED && meta.uid() != me && meta.uid() != dir_meta.uid() {
        return Err(std::io::Error::other(format!(
            "not following the symbolic link '{}': it belongs to another user in a shared directory",
            link.display()
        )));
    }
    Ok(())
}

/// Nothing to check where there are no such directories.
#[cfg(not(unix))]
fn check_link_is_trusted(_: &Path, _: &fs::Metadata, _: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Whether the caller may create files in `dir` and, if the output exists,
/// replace it: like `cp`, an existing output the caller may not write (a
/// write-protected file, another user's file) is refused, even though the
/// directory would let a rename replace it. Root passes, as with `cp`.
#[cfg(unix)]
fn check_writable(dir: &Path, target: &Path, existing: Option<&Permissions>) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let allowed = |p: &Path, mode: libc::c_int| -> std::io::Result<()> {
        let c = std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        if unsafe { libc::access(c.as_ptr(), mode) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    allowed(dir, libc::W_OK | libc::X_OK).map_err(|e| {
        format!(
            "cannot create a file in directory '{}': {}",
            dir.display(),
            describe_io(&e)
        )
    })?;
    if let Some(perms) = existing {
        allowed(target, libc::W_OK).map_err(|e| {
            if e.raw_os_error() == Some(libc::EROFS) {
                describe_io(&e)
            } else {
                format!(
                    "exists and is not writable by you (mode {:03o}); accel replaces an \
                     output only where you may write it, as cp does: change its permissions \
                     or remove it first",
                    perms.mode() & 0o7777
                )
            }
        })?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_writable(_: &Path, _: &Path, existing: Option<&Permissions>) -> Result<(), String> {
    match existing {
        Some(perms) if perms.readonly() => {
            Err("exists and is read-only; remove the flag or the file first".to_string())
        }
        _ => Ok(()),
    }
}

/// Removes `.accel-<pid>-*.tmp` files in `dir` that are more than a day old and
/// whose process is gone: what a run killed with SIGKILL (or a crash of the
/// machine) leaves behind. Best effort: anything unreadable is left alone.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_pid) else {
            continue;
        };
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if meta.is_file() && old && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The process id in a temporary file name of ours (`.accel-<pid>-<random>.tmp`).
fn temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".accel-")?.strip_suffix(".tmp")?;
    let (pid, random) = rest.split_once('-')?;
    if random.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` exists (or might: only a definite "no such process"
/// counts as gone).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_replaces_and_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        fs::write(&target, b"old").unwrap();

        let mut pending = PendingOutput::prepare(&target).unwrap();
        pending.file().write_all(b"abandoned").unwrap();
        drop(pending);
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary file left behind"
        );

        let mut pending = PendingOutput::prepare(&target).unwrap();
        pending.file().write_all(b"new").unwrap();
        pending.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_symbolic_links() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("keep.txt");
        fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("keep.txt", &link).unwrap();
        let mut pending = PendingOutput::prepare(&link).unwrap();
        pending.file().write_all(b"new").unwrap();
        pending.commit().unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"new");

        // A dangling link creates its target.
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink("made.txt", &dangling).unwrap();
        let mut pending = PendingOutput::prepare(&dangling).unwrap();
        pending.file().write_all(b"made").unwrap();
        pending.commit().unwrap();
        assert_eq!(fs::read(dir.path().join("made.txt")).unwrap(), b"made");

        // A loop is an error, not a hang.
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let e = PendingOutput::prepare(&a).unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{e}");
        assert!(
            e.to_string().contains("'a'") || e.to_string().contains("/a'"),
            "{e}"
        );
    }

    /// As the kernel's `protected_symlinks`: in a sticky, world-writable directory
    /// a link is followed only if we or the directory's owner own it.
    #[cfg(unix)]
    #[test]
    fn links_of_other_users_in_shared_directories_are_not_followed() {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, Permissions::from_mode(0o1777)).unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"keep").unwrap();
        let link = shared.join("out.txt");
        std::os::unix::fs::symlink(&victim, &link).unwrap();

        // Our own link is followed.
        let pending = PendingOutput::prepare(&link).unwrap();
        assert_eq!(pending.target, victim);
        drop(pending);

        // Someone else's is not (only root can give a link away; skip otherwise).
        let c = std::ffi::CString::new(link.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        if unsafe { libc::lchown(c.as_ptr(), 65534, 65534) } == 0 {
            let e = PendingOutput::prepare(&link).unwrap_err();
            assert!(e.to_string().contains("another user"), "{e}");
            assert_eq!(fs::read(&victim).unwrap(), b"keep");
        }
    }

    #[test]
    fn temporary_names_carry_the_process_id() {
        assert_eq!(temporary_pid(".accel-1234-abC9.tmp"), Some(1234));
        for other in [
            ".accel-abc.tmp",
            ".accel--x.tmp",
            ".accel-12-.tmp",
            "accel-1-x.tmp",
            ".accel-1-x",
        ] {
            assert_eq!(temporary_pid(other), None, "{other}");
        }
        let dir = tempfile::tempdir().unwrap();
        let pending = PendingOutput::prepare(&dir.path().join("out.png")).unwrap();
        let name = pending
            .temp
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(temporary_pid(&name), Some(std::process::id()), "{name}");
    }

    #[test]
    fn stale_temporaries_of_gone_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let gone = 999_999_999u32; // above any pid_max: never a live process
        let two_days_ago = std::time::SystemTime::now() - 2 * STALE_AFTER;
        let make = |name: &str, old: bool| {
            let path = dir.path().join(name);
            let file = File::create(&path).unwrap();
            if old {
                file.set_modified(two_days_ago).unwrap();
            }
            path
        };
        let stale = make(&format!(".accel-{gone}-abc.tmp"), true);
        let fresh = make(&format!(".accel-{gone}-def.tmp"), false);
        let running = make(&format!(".accel-{}-ghi.tmp", std::process::id()), true);
        let foreign = make(".accel-notes.tmp", true);
        CheckedOutput::check(&dir.path().join("out.png")).unwrap();
        assert!(
            !stale.exists(),
            "a day-old temporary of a gone process stays"
        );
        for kept in [&fresh, &running, &foreign] {
            assert!(kept.exists(), "{} was removed", kept.display());
        }
    }

    #[cfg(unix)]
    #[test]
    fn check_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let checked = CheckedOutput::check(&dir.path().join("out.png")).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let pending = checked.create().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(pending);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn refuses_bad_locations() {
        let dir = tempfile::tempdir().unwrap();
        let e = PendingOutput::prepare(dir.path()).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        let missing = dir.path().join("nope").join("out.png");
        let e = PendingOutput::prepare(&missing).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let file = dir.path().join("plain");
        fs::write(&file, b"x").unwrap();
        let e = PendingOutput::prepare(&file.join("out.png")).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }
}
