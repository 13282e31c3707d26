//! The `rfc-annotations` command: check RFC citations, report coverage, show
//! spec sections, fetch spec texts. See the crate README.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use rfc_annotations::{Analysis, Severity, SpecId, SpecSource, source};

/// Prints a line on stdout; a closed pipe (`| head`) is not an error.
macro_rules! out {
    () => {{
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// RFC citations in Rust code: validation and requirement coverage.
#[derive(Debug, Parser)]
#[command(name = "rfc-annotations", version, about)]
struct Cli {
    /// Folder holding rfcNNNN.txt / xep-NNNN.xml (default: $RFC_DIR, else
    /// ../shared/rfc beside the workspace, else the user cache).
    #[arg(long, global = true, value_name = "DIR")]
    rfc_dir: Option<PathBuf>,
    /// Workspace root (default: the enclosing Cargo workspace).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that every citation resolves (exit 1 on any error).
    Check {
        /// Also print warnings.
        #[arg(long)]
        warnings: bool,
    },
    /// Write the coverage report.
    Report {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Output folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print a section's text and its requirement sentences (or the whole
    /// section tree without SECTION).
    Show {
        /// RFC3261, 3261, XEP-0166, ...
        spec: String,
        /// Section number, e.g. 17.1.1.2.
        section: Option<String>,
    },
    /// List a spec's sections with their requirement counts.
    Sections {
        /// RFC3261, 3261, XEP-0166, ...
        spec: String,
    },
    /// Download spec texts into the user cache (needs curl and internet).
    Fetch {
        /// RFC numbers or XEP names: 3261 xep-0166.
        #[arg(required = true)]
        specs: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Md,
    Json,
    Html,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = cli
        .root
        .clone()
        .unwrap_or_else(|| rfc_annotations::scan::find_root(&cwd));
    let source = SpecSource::discover(cli.rfc_dir.as_deref(), &root);
    match run(cli.command, &root, source) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(cmd: Command, root: &Path, source: SpecSource) -> Result<ExitCode, String> {
    match cmd {
        Command::Check { warnings } => {
            let t = Instant::now();
            let a = Analysis::run(root, source).map_err(|e| e.to_string())?;
            let mut warned = 0;
            for p in &a.problems {
                match p.severity {
                    Severity::Error => out!("{p}"),
                    _ => {
                        warned += 1;
                        if warnings {
                            out!("{p}");
                        }
                    }
                }
            }
            let errors = a.errors();
            let specs: std::collections::BTreeSet<SpecId> =
                a.citations.iter().map(|c| c.spec).collect();
            eprintln!(
                "rfc-annotations: {} citations in {} files against {} specs: {} errors, {} warnings ({} ms)",
                a.citations.len(),
                a.files,
                specs.len(),
                errors,
                warned,
                t.elapsed().as_millis()
            );
            Ok(if errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Report { format, out } => {
            let mut a = Analysis::run(root, source).map_err(|e| e.to_string())?;
            let report = a.report();
            std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            let written = match format {
                Format::Json => {
                    let p = out.join("coverage.json");
                    std::fs::write(&p, report.to_json())
                        .map_err(|e| format!("{}: {e}", p.display()))?;
                    p
                }
                Format::Md => {
                    let p = out.join("coverage.md");
                    std::fs::write(&p, report.to_markdown())
                        .map_err(|e| format!("{}: {e}", p.display()))?;
                    p
                }
                Format::Html => {
                    rfc_annotations::html::write(
                        &out,
                        root,
                        &report,
                        &a.citations,
                        &a.resolved,
                        &mut a.library,
                    )
                    .map_err(|e| format!("{}: {e}", out.display()))?;
                    out.join("index.html")
                }
            };
            out!("{}", written.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { spec, section } => {
            let id: SpecId = spec
                .parse()
                .map_err(|e: rfc_annotations::spec::SpecIdError| e.to_string())?;
            let (_, spec) = source.load(id).map_err(|e| e.to_string())?;
            match section {
                None => print_tree(&spec),
                Some(n) => {
                    let s = spec
                        .section(&n)
                        .ok_or_else(|| format!("{id} has no section {n}"))?;
                    out!("{id} §{} {}\n", s.number, s.title);
                    for p in &s.paragraphs {
                        for l in &p.lines {
                            out!("{l}");
                        }
                        out!();
                    }
                    let reqs: Vec<_> = s.sentences.iter().filter(|x| x.is_requirement()).collect();
                    out!("-- {} requirement sentence(s):", reqs.len());
                    for r in reqs {
                        let k: Vec<_> = r.keywords.iter().map(|k| k.as_str()).collect();
                        out!("[{}] {}", k.join(", "), r.text);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sections { spec } => {
            let id: SpecId = spec
                .parse()
                .map_err(|e: rfc_annotations::spec::SpecIdError| e.to_string())?;
            let (_, spec) = source.load(id).map_err(|e| e.to_string())?;
            print_tree(&spec);
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch { specs } => {
            let dir = source::cache_dir().ok_or("no cache folder: set XDG_CACHE_HOME or HOME")?;
            for s in specs {
                let id: SpecId = s
                    .parse()
                    .map_err(|e: rfc_annotations::spec::SpecIdError| e.to_string())?;
                let p = source::fetch(id, &dir).map_err(|e| e.to_string())?;
                out!("{}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_tree(spec: &rfc_annotations::Spec) {
    out!("{} — {}", spec.id, spec.title);
    for s in &spec.sections {
        let depth = s.number.matches('.').count();
        let reqs = s.sentences.iter().filter(|x| x.is_requirement()).count();
        out!(
            "{:indent$}{} {} ({} requirement{})",
            "",
            s.number,
            s.title,
            reqs,
            if reqs == 1 { "" } else { "s" },
            indent = depth * 2
        );
    }
}
