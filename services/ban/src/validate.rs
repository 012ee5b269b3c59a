//! `ban validate`: a linter's view of a BAL file.
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ban_bal::labels::label;
use ban_bal::report::ReferenceView;
use ban_bal::{validate_file, Options, Profile, Report};
use ban_domain::Level;
use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per finding, then a summary.
    Human,
    /// One JSON object, in the shape of the reference validator's JSON front end.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileChoice {
    /// Detect from the columns (1.4 with id_ban_* columns, 1.5 with toponyme too).
    Auto,
    #[value(name = "1.3")]
    V13,
    #[value(name = "1.4")]
    V14,
    #[value(name = "1.5")]
    V15,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Profile of the BAL standard to check against.
    #[arg(long, value_enum, default_value_t = ProfileChoice::Auto)]
    profile: ProfileChoice,
    /// Also list findings of level info (human format).
    #[arg(long)]
    infos: bool,
    /// The BAL file (semicolon-separated CSV).
    file: PathBuf,
}

/// The JSON report, with the time the validation took.
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    report: ReferenceView<'a>,
    #[serde(rename = "timingMs")]
    timing: Timing,
}

#[derive(Serialize)]
struct Timing {
    validate: f64,
}

/// Exit status: 0 valid, 1 invalid, 2 unreadable.
pub fn run(args: &Args) -> ExitCode {
    let profile = match args.profile {
        ProfileChoice::Auto => None,
        ProfileChoice::V13 => Some(Profile::V1_3),
        ProfileChoice::V14 => Some(Profile::V1_4),
        ProfileChoice::V15 => Some(Profile::V1_5),
    };
    let options = Options { profile, ..Options::default() };
    let name = args.file.display().to_string();
    let started = Instant::now();
    let outcome = validate_file(&args.file, &options);
    // Like the reference's JSON front end: the time of the validation call alone.
    let timing = Timing { validate: started.elapsed().as_secs_f64() * 1000.0 };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = match (&outcome, args.format) {
        (Ok(report), Format::Json) => {
            serde_json::to_writer(&mut out, &JsonOutput { report: report.reference_view(), timing })
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
        (Ok(report), Format::Human) => write_human(&mut out, &name, report, args.infos),
        (Err(refusal), Format::Json) => writeln!(
            out,
            "{}",
            serde_json::json!({"valid": false, "parseOk": false, "thrown": refusal.to_string(),
                "errors": [], "warnings": [], "infos": [], "rows": []})
        ),
        (Err(refusal), Format::Human) => writeln!(io::stderr(), "{name}: {refusal}"),
    };
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    match outcome {
        Ok(report) if report.valid() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(_) => ExitCode::from(2),
    }
}

fn write_human(out: &mut impl Write, name: &str, report: &Report, infos: bool) -> io::Result<()> {
    if !report.parsed {
        for e in &report.parse_errors {
            match e.line {
                Some(line) => writeln!(out, "{name}:{line}: error {} — {}", e.code, e.message)?,
                None => writeln!(out, "{name}: error {} — {}", e.code, e.message)?,
            }
        }
        writeln!(out, "{name}: invalid — the rows could not be read, nothing else was checked")?;
        return Ok(());
    }
    let shown = |level: Level| infos || level != Level::Info;
    // File-level codes that are not about a row: columns, file format, rows as a whole.
    for issue in report.file_issues.iter().filter(|i| shown(i.level)) {
        let code = &*issue.code;
        if code.starts_with("field.") || code.starts_with("file.") || code.starts_with("rows.") {
            writeln!(out, "{name}: {} {code} — {}", issue.level.word(), label(code))?;
        }
    }
    for issue in report.issues.iter().filter(|i| shown(i.level)) {
        write!(out, "{name}:{}: {} {} — {}", issue.line, issue.level.word(), issue.code, label(&issue.code))?;
        match (&issue.field, &issue.value) {
            (Some(field), Some(value)) => writeln!(out, " ({field} = {value:?})")?,
            _ => writeln!(out)?,
        }
    }
    let count = |level| report.file_issues.iter().filter(|i| i.level == level).count();
    let profile = report.profile.map_or("?", Profile::name);
    writeln!(
        out,
        "{name}: {} — profile {profile}, {} rows, {} rows with findings; codes: {} errors, {} warnings, {} infos",
        if report.valid() { "valid" } else { "invalid" },
        report.rows_count,
        report.rows_with_issues(),
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info),
    )
}
