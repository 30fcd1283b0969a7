//! `bulk --report`: the report of the rows that were not sent, made ready before anything
//! is sent and put in place only when it is complete.

use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::bulk::NotSent;
use crate::csv;
use crate::output::Failure;

/// The report, made ready before anything is sent: a temporary file in the report's
/// folder, written at the end and then renamed onto the report's path.
pub struct PendingReport {
    /// The path as the user gave it.
    shown: PathBuf,
    /// Where the report goes: that path, or the file a symbolic link there points to.
    dest: PathBuf,
    file: NamedTempFile,
}

impl PendingReport {
    /// Makes the temporary file; a report that could not be written is a usage error.
    pub fn create(path: &Path) -> Result<PendingReport, Failure> {
        let cannot = |why: String| {
            Failure::usage(
                format!("cannot write the report to {}: {why}", path.display()),
                "Give --report the path of a file you can write to, in a folder that exists. \
                 Nothing was sent.",
            )
        };
        let dest = if path.is_symlink() {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        } else {
            path.to_owned()
        };
        if dest.is_dir() {
            return Err(cannot("it is a folder".into()));
        }
        let Some(name) = dest.file_name() else {
            return Err(cannot("it does not name a file".into()));
        };
        if let Ok(meta) = std::fs::metadata(&dest) {
            if meta.permissions().readonly() {
                return Err(cannot("the file is read-only".into()));
            }
        }
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        match std::fs::metadata(dir) {
            Err(e) => return Err(cannot(format!("the folder {}: {e}", dir.display()))),
            Ok(m) if !m.is_dir() => {
                return Err(cannot(format!("{} is not a folder", dir.display())))
            }
            Ok(_) => {}
        }
        let file = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| {
                // The error's kind: its text would name the temporary file, not the report.
                let kind = std::io::Error::from(e.kind());
                cannot(format!(
                    "cannot create a file in the folder {}: {kind}",
                    dir.display()
                ))
            })?;
        Ok(PendingReport {
            shown: path.to_owned(),
            dest,
            file,
        })
    }

    /// Writes the rows and puts the file in place; on failure, says why (the temporary
    /// file is removed).
    pub fn finish(self, var_columns: &[String], rows: &[NotSent]) -> Result<(), String> {
        let PendingReport {
            shown,
            dest,
            mut file,
        } = self;
        let mut lines = Vec::with_capacity(rows.len() + 1);
        let mut header = vec!["phone".to_owned()];
        header.extend(var_columns.iter().cloned());
        header.push("#status".into());
        header.push("#reason".into());
        lines.push(header);
        for r in rows {
            let mut line = vec![r.phone.clone()];
            line.extend(r.cells.iter().cloned());
            line.push(r.status.clone());
            line.push(r.reason.clone());
            line.extend(r.extra.iter().cloned());
            lines.push(line);
        }
        let cannot =
            |e: std::io::Error| format!("cannot write the report to {}: {e}", shown.display());
        csv::write(&mut file, &lines).map_err(cannot)?;
        file.as_file().sync_all().map_err(cannot)?;
        // A report that replaces a file keeps that file's permissions.
        if let Ok(meta) = std::fs::metadata(&dest) {
            let _ = std::fs::set_permissions(file.path(), meta.permissions());
        }
        file.persist(&dest).map_err(|e| cannot(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::USAGE;

    fn refused(phone: &str, code: &str) -> NotSent {
        NotSent {
            phone: phone.into(),
            cells: vec![code.into()],
            status: "refused".into(),
            reason: "412, \"bad\" number".into(),
            extra: Vec::new(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn report_replaces_its_path_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.csv");
        std::fs::write(&path, "phone\n13800000001\n").unwrap();
        let report = PendingReport::create(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "phone\n13800000001\n"
        );
        let mut wide = refused("13800000002", "12");
        wide.extra = vec!["34".into()];
        report
            .finish(&["code".into()], &[refused("1380000000", "1,1"), wide])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "phone,code,#status,#reason\n\
             1380000000,\"1,1\",refused,\"412, \"\"bad\"\" number\"\n\
             13800000002,12,refused,\"412, \"\"bad\"\" number\",34\n"
        );
        assert_eq!(names(dir.path()), ["list.csv"]);
    }

    #[test]
    fn report_that_cannot_be_put_in_place_says_why_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        let report = PendingReport::create(&path).unwrap();
        assert_eq!(names(dir.path()).len(), 1, "the temporary file");
        // Something takes the report's place while the messages are sent.
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), "").unwrap();
        let e = report
            .finish(&[], &[refused("1380000000", "1")])
            .unwrap_err();
        assert!(
            e.starts_with(&format!("cannot write the report to {}: ", path.display())),
            "{e}"
        );
        assert_eq!(names(dir.path()), ["report.csv"]);
        assert_eq!(names(&path), ["keep"]);
    }

    #[test]
    fn report_that_cannot_be_written_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "keep").unwrap();
        let read_only = dir.path().join("read-only.csv");
        std::fs::write(&read_only, "keep").unwrap();
        let mut perms = std::fs::metadata(&read_only).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&read_only, perms).unwrap();
        for (path, why) in [
            (dir.path().to_path_buf(), "it is a folder"),
            (file.join("report.csv"), "is not a folder"),
            (dir.path().join("none").join("report.csv"), "the folder "),
            (read_only.clone(), "the file is read-only"),
        ] {
            let Err(f) = PendingReport::create(&path) else {
                panic!("{path:?} was accepted");
            };
            assert_eq!(f.exit, USAGE);
            assert!(
                f.what
                    .starts_with(&format!("cannot write the report to {}: ", path.display())),
                "{}",
                f.what
            );
            assert!(f.what.contains(why), "{}", f.what);
        }
        assert_eq!(names(dir.path()), ["file", "read-only.csv"]);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
    }

    #[cfg(unix)]
    #[test]
    fn report_keeps_the_permissions_of_the_file_it_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        PendingReport::create(&path)
            .unwrap()
            .finish(&[], &[])
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "phone,#status,#reason\n"
        );
    }
}
