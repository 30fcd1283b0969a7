//! Recipient lists and reports as CSV, read and written with the `csv` crate (RFC 4180:
//! commas, double quotes, quotes doubled inside quoted fields, CRLF or LF line ends).

use std::fmt;
use std::io::Write;

use ::csv::{ReaderBuilder, StringRecord, Terminator, WriterBuilder};

/// A CSV text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// The line (from 1) where the problem is.
    pub line: usize,
    /// What is wrong.
    pub what: &'static str,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// One record with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

impl Record {
    /// Whether every field is blank (such lines are skipped).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// Counts line breaks (`\r\n`, `\n` or a lone `\r`) in `bytes`.
fn line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// Reads every record of `text` (a leading byte-order mark is ignored, empty lines are
/// skipped). Records may have different numbers of fields.
///
/// The `csv` crate reads a stray double quote leniently; a record with an odd number of
/// double quotes is refused here, since it has a quoted field that is never closed (which
/// would swallow the rest of the file) or a quote inside an unquoted field.
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = Vec::new();
    let mut record = StringRecord::new();
    // The line at byte `counted`.
    let (mut line, mut counted) = (1, 0);
    loop {
        let start = reader.position().byte() as usize;
        let more = reader.read_record(&mut record).map_err(|_| CsvError {
            line,
            what: "the text cannot be read as CSV",
        })?;
        if !more {
            break;
        }
        let end = (reader.position().byte() as usize).min(bytes.len());
        let raw = bytes.get(start..end).unwrap_or_default();
        // Empty lines before the record are skipped by the reader.
        let skipped = raw
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let first = (start + skipped).min(bytes.len());
        line += line_breaks(bytes.get(counted..first).unwrap_or_default());
        counted = first;
        if raw.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
            return Err(CsvError {
                line,
                what: "a double quote that is never closed, or one inside a field that does not \
                       start with one",
            });
        }
        records.push(Record {
            line,
            fields: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(records)
}

/// Writes `rows` as CSV to `out`, each line ending in `\n`, quoting fields only where they
/// need it. Rows may have different numbers of fields.
pub fn write<W: Write, R: AsRef<[String]>>(out: W, rows: &[R]) -> std::io::Result<()> {
    let mut writer = WriterBuilder::new()
        .flexible(true)
        .terminator(Terminator::Any(b'\n'))
        .from_writer(out);
    for row in rows {
        writer.write_record(row.as_ref())?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    fn lines(text: &str) -> Vec<usize> {
        parse(text).unwrap().into_iter().map(|r| r.line).collect()
    }

    #[test]
    fn reads_plain_and_quoted_fields() {
        assert_eq!(
            fields("phone,name\r\n13800000000,\"Lucy, \"\"L\"\"\"\n13800000001,Bob"),
            vec![
                vec!["phone", "name"],
                vec!["13800000000", "Lucy, \"L\""],
                vec!["13800000001", "Bob"]
            ]
        );
        assert_eq!(fields("a\n\"x\ny\",z\n")[1], vec!["x\ny", "z"]);
        assert_eq!(fields("\u{feff}phone\n1\n")[0], vec!["phone"]);
        assert_eq!(fields("a\nb,c,d\n")[1].len(), 3);
    }

    #[test]
    fn counts_lines_across_quoted_breaks_and_empty_lines() {
        assert_eq!(lines("a\n\"x\ny\",z\nq"), vec![1, 2, 4]);
        assert_eq!(lines("a\n\n\r\nb\rc\r\n\nd"), vec![1, 4, 5, 7]);
        assert_eq!(lines(""), Vec::<usize>::new());
    }

    #[test]
    fn refuses_broken_quotes() {
        assert_eq!(parse("a\n\"open").unwrap_err().line, 2);
        assert_eq!(parse("a\n\"open\n1\n2\n").unwrap_err().line, 2);
        assert_eq!(parse("a\nb\na\"b").unwrap_err().line, 3);
    }

    #[test]
    fn writes_what_it_reads() {
        let row: Vec<String> = ["13800000000", "a,b", "say \"hi\"", " x", "line\nbreak", ""]
            .map(String::from)
            .to_vec();
        let short = vec!["1".to_owned()];
        let mut out = Vec::new();
        write(&mut out, &[row.clone(), short.clone()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("\n1\n"));
        assert_eq!(fields(&text), vec![row, short]);
    }
}
