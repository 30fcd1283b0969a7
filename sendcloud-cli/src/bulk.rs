//! `sendcloud bulk`: a template to a CSV list of recipients, in batches, with a report of
//! what was not sent that is itself a recipient list.

use std::collections::HashMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use sendcloud_proto::{
    Batches, BulkReport, BulkTemplate, Phone, Tag, TemplateId, Vars, MAX_BATCH_BASE_CHARS,
};
use serde_json::json;

use crate::commands::new_request_id;
use crate::csv;
use crate::output::{client_failure, Failure, INTERNAL, OK, PARTIAL, REFUSED, TRANSPORT, USAGE};
use crate::report::PendingReport;
use crate::target::{print_messages, Target};
use crate::Global;

#[derive(Args, Debug)]
#[command(after_help = "\
The recipients file is CSV with a header row: a `phone` column, and one column per template
variable (e.g. `phone,name,order`); rows with the same variables are sent together. Columns
whose name starts with `#` are ignored. A file of bare numbers, one per line, works too. A row
with more fields than the header is not sent (put a value that has a comma in double quotes).

The report (--report) lists every row that was not sent, with its variables and the reason in
the `#status` and `#reason` columns: give it back to --recipients to send only those. It may be
the recipients file itself. A report that cannot be written stops the command before anything
is sent.")]
pub struct BulkArgs {
    /// The template id
    #[arg(long, value_name = "ID")]
    template: u64,
    /// The CSV file of recipients, or - for standard input
    #[arg(long, value_name = "FILE|-")]
    recipients: String,
    /// Write the rows that were not sent (refused, failed, invalid) to this CSV file, replaced
    /// once everything is sent
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Send as MMS (the template must be an MMS template)
    #[arg(long)]
    mms: bool,
    /// The base of the batches' sendRequestIds (each batch gets BASE-N); reuse it to resend
    /// safely within an hour
    #[arg(long, value_name = "BASE")]
    request_id: Option<String>,
    /// A JSON object of at most 128 characters, e.g. {"order":"42"}, that SendCloud passes back
    /// in delivery events
    #[arg(long, value_name = "JSON")]
    tag: Option<String>,
}

/// Recipients that share their variables.
struct Group {
    vars: Vars,
    /// The raw values of the variable columns, in header order.
    cells: Vec<String>,
    phones: Vec<Phone>,
}

/// A row that could not be sent, as the report lists it.
pub struct NotSent {
    pub phone: String,
    pub cells: Vec<String>,
    pub status: String,
    pub reason: String,
    /// The fields of a row that had more than the header, as they were: the report puts
    /// them after `#reason`, so that the row keeps its data and stays invalid until fixed.
    pub extra: Vec<String>,
}

struct Input {
    var_columns: Vec<String>,
    groups: Vec<Group>,
    invalid: Vec<NotSent>,
    rows: usize,
}

fn read_input(source: &str) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let read = if source == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(source).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| {
        Failure::usage(
            format!("cannot read the recipients from {source}: {e}"),
            "Give the path of a readable CSV file, or - for standard input.",
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Failure::usage(
            format!("the recipients in {source} are not UTF-8 text"),
            "Save the CSV as UTF-8.",
        )
    })
}

fn parse_input(text: &str, source: &str) -> Result<Input, Failure> {
    let records = csv::parse(text).map_err(|e| {
        Failure::usage(
            format!("{source}: {e}"),
            "Fix the CSV (quote fields that have commas or quotes, and double the quotes inside).",
        )
    })?;
    let mut records = records.into_iter().filter(|r| !r.is_blank()).peekable();
    let Some(first) = records.peek() else {
        return Ok(Input {
            var_columns: Vec::new(),
            groups: Vec::new(),
            invalid: Vec::new(),
            rows: 0,
        });
    };
    let header_phone = first
        .fields
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("phone"));
    // The phone column, the index and name of each variable column, and how many fields a
    // row may have.
    let (phone_col, var_cols, width): (usize, Vec<(usize, String)>, usize) =
        match header_phone {
            Some(p) => {
                let header = records.next().map(|r| r.fields).unwrap_or_default();
                let vars = header
                    .iter()
                    .enumerate()
                    .filter(|(i, h)| *i != p && !h.trim().is_empty() && !h.trim().starts_with('#'))
                    .map(|(i, h)| (i, h.trim().to_owned()))
                    .collect();
                (p, vars, header.len())
            }
            None if first.fields.len() == 1 && Phone::parse(&first.fields[0]).is_ok() => {
                (0, Vec::new(), 1)
            }
            None => return Err(Failure::usage(
                format!("{source}: the first line has no `phone` column"),
                "Start the CSV with a header such as `phone,code`, or give one number per line.",
            )),
        };
    let too_wide = |n: usize| {
        if header_phone.is_some() {
            format!(
                "{n} fields, but the header has {width}: put a value that has a comma in double \
                 quotes"
            )
        } else {
            format!(
                "{n} fields, but this file has one number per line: put each number on its own \
                 line, or start the file with a header such as `phone,code`"
            )
        }
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<Vars, usize> = HashMap::new();
    let mut invalid = Vec::new();
    let mut rows = 0;
    for record in records {
        rows += 1;
        let cell = |i: usize| record.fields.get(i).map(|s| s.trim()).unwrap_or("");
        let phone_cell = cell(phone_col).to_owned();
        let cells: Vec<String> = var_cols.iter().map(|(i, _)| cell(*i).to_owned()).collect();
        if record.fields.len() > width {
            invalid.push(NotSent {
                phone: phone_cell,
                cells,
                status: "invalid".into(),
                reason: format!("line {}: {}", record.line, too_wide(record.fields.len())),
                extra: record.fields[width..].to_vec(),
            });
            continue;
        }
        let row = (|| {
            let phone = Phone::parse(&phone_cell)?;
            let mut vars = Vars::new();
            for ((_, name), value) in var_cols.iter().zip(&cells) {
                if !value.is_empty() {
                    vars.insert(name, value.as_str())?;
                }
            }
            Ok::<_, sendcloud_proto::ValidationError>((phone, vars))
        })();
        match row {
            Ok((phone, vars)) => match index.get(&vars) {
                Some(&g) => groups[g].phones.push(phone),
                None => {
                    index.insert(vars.clone(), groups.len());
                    groups.push(Group {
                        vars,
                        cells,
                        phones: vec![phone],
                    });
                }
            },
            Err(e) => invalid.push(NotSent {
                phone: phone_cell,
                cells,
                status: "invalid".into(),
                reason: format!("line {}: {e}", record.line),
                extra: Vec::new(),
            }),
        }
    }
    Ok(Input {
        var_columns: var_cols.into_iter().map(|(_, n)| n).collect(),
        groups,
        invalid,
        rows,
    })
}

/// The progress bar on stderr: recipients done and, once the first batch is in, the rate
/// and the time left. Hidden unless stderr is a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    if total == 0 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("[{bar:30}] {pos}/{len} recipients{speed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#> ")
        .with_key("speed", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            // Before the first answer there is nothing to estimate from.
            if s.pos() > 0 {
                let _ = write!(w, ", {:.0}/s, {} left", s.per_sec(), HumanDuration(s.eta()));
            }
        });
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(style);
    // Batches take seconds each: keep the rate and the time left moving between them.
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

/// Stops the bar, leaving its last state on its own line.
fn end_progress(bar: &ProgressBar) {
    if !bar.is_hidden() {
        bar.abandon();
        eprintln!();
    }
}

pub fn run(g: &Global, a: &BulkArgs) -> Result<u8, Failure> {
    let invalid_arg =
        |e: sendcloud_proto::ValidationError| client_failure(&sendcloud_ureq::Error::from(e), None);
    let template = TemplateId::new(a.template).map_err(invalid_arg)?;
    let tag = a
        .tag
        .as_deref()
        .map(Tag::parse)
        .transpose()
        .map_err(invalid_arg)?;
    // The report's file is made (as a temporary file next to it) before the recipients are
    // read, and so before anything is sent: a report that cannot be written stops the run
    // here. The report's path itself is only replaced at the end, so it may be the
    // recipients file.
    let report = a.report.as_deref().map(PendingReport::create).transpose()?;
    let text = read_input(&a.recipients)?;
    let input = parse_input(&text, &a.recipients)?;
    let base = a
        .request_id
        .clone()
        .unwrap_or_else(|| new_request_id("bulk"));

    let many = input.groups.len() > 1;
    let group_bases: Vec<String> = (1..=input.groups.len())
        .map(|n| {
            if many {
                format!("{base}-g{n}")
            } else {
                base.clone()
            }
        })
        .collect();
    // Every group's sendRequestIds are checked before the first is sent, so that a long
    // --request-id cannot stop the run halfway (with `-gN` growing, the tenth group's base
    // is longer than the first's).
    let check = |b: &str| Batches::new(BulkTemplate::new(template), b, std::iter::empty());
    check(&base).map_err(invalid_arg)?;
    // The characters are those of the base, checked above: only the length can be wrong.
    if let Some(longest) = group_bases.last().filter(|_| many) {
        if check(longest).is_err() {
            let suffix = longest.chars().count() - base.chars().count();
            return Err(Failure::usage(
                format!(
                    "--request-id {base}: the recipients have {} groups of variables, whose \
                     batches' ids go up to {longest}-N, and a base may have at most \
                     {MAX_BATCH_BASE_CHARS} characters",
                    group_bases.len()
                ),
                format!(
                    "Give a --request-id of at most {} characters.",
                    MAX_BATCH_BASE_CHARS.saturating_sub(suffix)
                ),
            ));
        }
    }

    let target = Target::connect(g)?;
    let before = target.outbox_len();
    let total: u64 = input.groups.iter().map(|gr| gr.phones.len() as u64).sum();
    let progress = progress_bar(total);
    let mut sum = BulkReport::default();
    let mut not_sent: Vec<NotSent> = Vec::new();
    let mut transport_failures = 0u64;
    for (group, group_base) in input.groups.iter().zip(&group_bases) {
        let mut bt = BulkTemplate::new(template)
            .mms(a.mms)
            .with_vars(group.vars.clone());
        if let Some(t) = &tag {
            bt = bt.with_tag(t.clone());
        }
        let done_before = sum.recipients + sum.duplicates_skipped;
        progress.set_position(done_before);
        // It fails only for a base id checked above, before anything was sent.
        let mut report = target
            .client
            .send_bulk(bt, group_base, group.phones.iter().cloned(), |r| {
                progress.set_position(done_before + r.recipients + r.duplicates_skipped)
            })
            .map_err(|e| {
                end_progress(&progress);
                client_failure(&e, None)
            })?;

        for r in &report.refused {
            not_sent.push(NotSent {
                phone: r.phone.clone(),
                cells: group.cells.clone(),
                status: "refused".into(),
                reason: r.message.clone(),
                extra: Vec::new(),
            });
        }
        // A batch of one number refused as a whole was refused for that number (412, 496, ...).
        let (one_refused, failed): (Vec<_>, Vec<_>) = std::mem::take(&mut report.failed)
            .into_iter()
            .partition(|f| f.status.is_some() && f.phones.len() == 1);
        report.failed = failed;
        for f in one_refused {
            let phone = f.phones[0].as_str().to_owned();
            let status = f.status.map(|s| s.code().to_string()).unwrap_or_default();
            not_sent.push(NotSent {
                phone: phone.clone(),
                cells: group.cells.clone(),
                status: format!("refused {status}"),
                reason: f.error.clone(),
                extra: Vec::new(),
            });
            report.refused.push(sendcloud_proto::Rejected {
                phone,
                message: f.error,
            });
        }
        for f in &report.failed {
            if f.status.is_none() {
                transport_failures += 1;
            }
            for p in &f.phones {
                not_sent.push(NotSent {
                    phone: p.as_str().to_owned(),
                    cells: group.cells.clone(),
                    status: f
                        .status
                        .map_or_else(|| "failed".to_owned(), |s| s.code().to_string()),
                    reason: f.error.clone(),
                    extra: Vec::new(),
                });
            }
        }
        sum.batches += report.batches;
        sum.recipients += report.recipients;
        sum.accepted += report.accepted;
        sum.already_accepted_batches += report.already_accepted_batches;
        sum.duplicates_skipped += report.duplicates_skipped;
        sum.refused.extend(report.refused);
        sum.failed.extend(report.failed);
    }
    end_progress(&progress);
    target.note("sent to");
    let invalid_count = input.invalid.len() as u64;
    not_sent.extend(input.invalid);

    // Everything is sent: from here on, a failure still shows the whole summary.
    let report_error = report.and_then(|r| r.finish(&input.var_columns, &not_sent).err());
    let exit = if report_error.is_some() {
        INTERNAL
    } else if not_sent.is_empty() {
        OK
    } else if sum.accepted > 0 {
        PARTIAL
    } else if transport_failures > 0 {
        TRANSPORT
    } else if !sum.refused.is_empty() || !sum.failed.is_empty() {
        REFUSED
    } else {
        USAGE
    };
    let report_advice = report_error.as_ref().map(|_| {
        format!(
            "Every row not sent is listed in this output. To resend those that failed, run this \
             same command (same --recipients file) again with --request-id {base}, and give \
             --report a path you can write to: within an hour, batches already accepted are \
             recognised and not sent twice."
        )
    });
    let messages = target.messages_since(before);
    let failed_count: u64 = sum.failed.iter().map(|f| f.phones.len() as u64).sum();
    if g.json {
        let failed: Vec<_> = sum
            .failed
            .iter()
            .map(|f| {
                json!({
                    "send_request_id": f.send_request_id.as_str(),
                    "recipients": f.phones.len(),
                    "status": f.status.map(|s| s.code()),
                    "error": f.error,
                })
            })
            .collect();
        let not_sent_json: Vec<_> = not_sent
            .iter()
            .map(|r| json!({"phone": r.phone, "status": r.status, "reason": r.reason}))
            .collect();
        let mut v = json!({
            "ok": exit == OK,
            "exit_code": exit,
            "template": a.template,
            "rows": input.rows,
            "batches": sum.batches,
            "accepted": sum.accepted,
            "refused": sum.refused.len(),
            "failed": failed_count,
            "invalid": invalid_count,
            "duplicates_skipped": sum.duplicates_skipped,
            "already_accepted_batches": sum.already_accepted_batches,
            "not_sent": not_sent_json,
            "failed_batches": failed,
            "send_request_id_base": base,
            "report": a.report.as_ref().map(|p| p.display().to_string()),
            "report_written": a.report.as_ref().map(|_| report_error.is_none()),
            "sandbox": target.is_sandbox(),
            "messages": messages.len(),
        });
        if let Some(e) = &report_error {
            v["error"] = json!({
                "message": e,
                "advice": report_advice,
                "status": null,
                "meaning": null,
            });
        }
        println!("{v}");
        if let (Some(e), Some(advice)) = (&report_error, &report_advice) {
            eprintln!("error: {e}");
            eprintln!("what to do: {advice}");
        }
        return Ok(exit);
    }
    println!(
        "Bulk send of template {}: {} rows, {} batches.",
        a.template, input.rows, sum.batches
    );
    println!("  accepted:           {}", sum.accepted);
    println!("  refused:            {}", sum.refused.len());
    println!(
        "  failed:             {failed_count} (in {} batches)",
        sum.failed.len()
    );
    println!("  invalid rows:       {invalid_count}");
    if sum.duplicates_skipped > 0 {
        println!("  duplicates skipped: {}", sum.duplicates_skipped);
    }
    if sum.already_accepted_batches > 0 {
        println!(
            "  batches already accepted earlier (same sendRequestId): {}",
            sum.already_accepted_batches
        );
    }
    // Without a report, these lines are all the user has of the rows not sent.
    let shown = if report_error.is_some() {
        not_sent.len()
    } else {
        10
    };
    for r in not_sent.iter().take(shown) {
        println!("  not sent {} ({}): {}", r.phone, r.status, r.reason);
    }
    if not_sent.len() > shown {
        println!("  ... and {} more", not_sent.len() - shown);
    }
    println!("  sendRequestId base: {base}");
    match (&a.report, &report_error) {
        (Some(p), Some(_)) => println!(
            "The report could not be written to {} (see the error below).",
            p.display()
        ),
        (Some(p), None) if !not_sent.is_empty() => println!(
            "The {} rows not sent are in {}: fix what needs fixing, then run again with --recipients {}.",
            not_sent.len(),
            p.display(),
            p.display()
        ),
        (Some(p), None) => println!("Every row was sent: the report {} lists none.", p.display()),
        (None, _) if !not_sent.is_empty() => {
            println!("Give --report FILE to get the rows not sent as a CSV to run again.")
        }
        (None, _) => {}
    }
    if !sum.failed.is_empty() {
        println!(
            "Failed batches may be resent safely within an hour: run this same command (same \
             --recipients file) again with --request-id {base}; batches already accepted \
             are recognised and not sent twice."
        );
    }
    print_messages(&messages, 5);
    if let (Some(e), Some(advice)) = (&report_error, &report_advice) {
        eprintln!("error: {e}");
        eprintln!("what to do: {advice}");
    }
    Ok(exit)
}
