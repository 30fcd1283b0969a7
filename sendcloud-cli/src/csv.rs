//! A small CSV reader and writer (RFC 4180: commas, double quotes, quotes doubled inside
//! quoted fields, CRLF or LF line ends), enough for recipient lists and reports.

use std::fmt;

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

/// Reads every record of `text` (a leading byte-order mark is ignored).
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    // Whether the current field was quoted (text after its closing quote is an error).
    let mut was_quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                in_quotes = true;
                was_quoted = true;
            }
            '"' => {
                return Err(CsvError {
                    line,
                    what: "a double quote inside an unquoted field (quote the whole field and double the quote)",
                })
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                records.push(Record {
                    line: record_line,
                    fields: std::mem::take(&mut fields),
                });
                line += 1;
                record_line = line;
                any = false;
            }
            _ if was_quoted => {
                return Err(CsvError {
                    line,
                    what: "text after the closing quote of a field",
                })
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(CsvError {
            line: record_line,
            what: "a quoted field is never closed",
        });
    }
    if any {
        fields.push(field);
        records.push(Record {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}

/// One field as CSV: quoted when it has to be.
pub fn field(s: &str) -> String {
    let needs = s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ');
    if needs {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One record as a CSV line, with its line end.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
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
        assert_eq!(parse("a\n\"x\ny\",z\nq").unwrap()[2].line, 4);
    }

    #[test]
    fn refuses_broken_quotes() {
        assert_eq!(parse("a\n\"open").unwrap_err().line, 2);
        assert!(parse("a\"b").is_err());
        assert!(parse("\"a\"b").is_err());
    }

    #[test]
    fn writes_what_it_reads() {
        let row = ["13800000000", "a,b", "say \"hi\"", " x", "line\nbreak"];
        let text = line(&row);
        assert_eq!(fields(&text), vec![row.to_vec()]);
    }
}
