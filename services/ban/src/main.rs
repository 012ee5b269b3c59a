//! `ban`: the BAN Sync command line.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod validate;

#[derive(Debug, Parser)]
#[command(
    name = "ban",
    version,
    about = "BAN Sync: publish, consolidate, geocode and download the national address base"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a BAL file against the standard, as the reference validator does.
    Validate(validate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
    }
}
