//! The one way d360 and its emulator write a file that must never be seen half-written
//! (state, plans, keys, the emulator's objects): a temp file in the same folder, fsync,
//! rename over the target, fsync of the folder.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, creating its folder. `private` makes the file
/// readable by its owner only (mode 0600 on Unix), also when it replaces a wider one.
///
/// # Errors
/// The folder or the file cannot be created, written, synced or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    write_atomic_with(path, private, |file| file.write_all(bytes))
}

/// [`write_atomic`] for content written piece by piece (a large plan streamed as it is
/// serialised, never held whole in memory): `write` gets a buffered writer on the temp file.
///
/// # Errors
/// As [`write_atomic`], and whatever `write` returns.
pub fn write_atomic_with(
    path: &Path,
    private: bool,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = path.as_os_str().to_os_string();
    temp.push(format!(".tmp-{}", std::process::id()));
    let temp = PathBuf::from(temp);
    {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let mut buffered = std::io::BufWriter::new(&mut file);
        let written = write(&mut buffered).and_then(|()| buffered.flush());
        drop(buffered);
        if let Err(error) = written {
            drop(file);
            let _ = std::fs::remove_file(&temp);
            return Err(error);
        }
        file.sync_all()?;
    }
    std::fs::rename(&temp, path)?;
    // Makes the rename itself durable; not every platform can open a folder, and the data
    // is already synced, so a failure here is not one of the write.
    if let Ok(folder) = File::open(dir) {
        folder.sync_all().ok();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_tightens_private_ones() {
        let dir = std::env::temp_dir().join(format!("d360-wire-files-{}", std::process::id()));
        let path = dir.join("nested/secret.key");
        write_atomic(&path, b"one", false).expect("first write");
        write_atomic(&path, b"two", true).expect("second write");
        assert_eq!(std::fs::read(&path).expect("read back"), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}

/// An I/O error in plain words, as the OS says it: `No such file or directory`, `Permission
/// denied` (not Rust's kind names such as `entity not found`, nor the `(os error 2)` suffix).
#[must_use]
pub fn plain(error: &std::io::Error) -> String {
    let text = error.to_string();
    match (error.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => text[..at].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod plain_tests {
    use super::plain;

    #[test]
    fn os_errors_read_as_the_os_says_them() {
        let missing = std::fs::read("/nonexistent/d360/file").expect_err("no such file");
        assert_eq!(plain(&missing), "No such file or directory");
        let custom = std::io::Error::other("disk on fire");
        assert_eq!(plain(&custom), "disk on fire");
    }
}
