//! The command line: `serve`, `demo`, `mission`, `user`, `import` and `verify`.
//!
//! Errors are one line on stderr and exit code 1; usage mistakes are clap's, exit code 2.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::credentials::hash_password;
use crate::domain::account::{NewPassword, Username, parse_display_name, parse_phone};
use crate::domain::form::FormDefinition;
use crate::domain::geography::{ImportScheme, StationColumns, level_label, plan_import};
use crate::domain::mission::NewMission;
use crate::domain::role::Role;
use crate::domain::sign_in::{SessionPolicy, ThrottleLimits};
use crate::store::audit::Actor;
use crate::store::forms::{self, Imported};
use crate::store::users::NewMember;
use crate::store::{OpenMode, Store, missions, recount, regions, reports, users};
use crate::web::{AppState, Config};
use crate::{demo, server};

#[derive(Parser)]
#[command(
    name = "fieldreport",
    version,
    about = "Field-report collector for election observation missions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application on an existing database.
    Serve(ServeArgs),
    /// Create the demo mission in a new file (or find it in a file the demo made), print its
    /// accounts, and serve it.
    Demo(DemoArgs),
    /// Create and list missions.
    #[command(subcommand)]
    Mission(MissionCommand),
    /// Add, list and disable users.
    #[command(subcommand)]
    User(UserCommand),
    /// Import a mission's geography.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check that no report was changed or removed (each mission's hash chain) and that
    /// the dashboard's figures, counted from the reports as the server holds them, equal
    /// a count of the reports in SQL.
    Verify {
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Args)]
struct Database {
    /// The SQLite database file.
    #[arg(long, env = "FIELDREPORT_DB", default_value = "fieldreport.db")]
    db: PathBuf,
}

#[derive(Args)]
struct ServerOptions {
    /// Address and port to listen on.
    #[arg(long, env = "FIELDREPORT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Mark cookies Secure and send HSTS; set when users reach the server over HTTPS.
    #[arg(long, env = "FIELDREPORT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Trust the last X-Forwarded-For entry as the client address (behind a reverse proxy).
    #[arg(long, env = "FIELDREPORT_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Hours a session may stay unused before it ends.
    #[arg(long, env = "FIELDREPORT_SESSION_IDLE_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
    session_idle_hours: u32,
    /// Days after sign-in when a session ends however it is used.
    #[arg(long, env = "FIELDREPORT_SESSION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=90))]
    session_days: u32,
    /// Failed sign-ins of one account from one address within 15 minutes that lock that
    /// account from that address.
    #[arg(long, env = "FIELDREPORT_PAIR_FAILURE_LIMIT", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pair_failure_limit: u32,
    /// Failed sign-ins from one address (an IPv6 /64) within 15 minutes, whatever accounts
    /// they name, that lock the address. Many observers can share one address: a
    /// training-room network, a carrier's NAT.
    #[arg(long, env = "FIELDREPORT_ADDRESS_FAILURE_LIMIT", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100000))]
    address_failure_limit: u32,
    /// Failed sign-ins of one account within 15 minutes, from anywhere, after which only
    /// addresses with no failure in those 15 minutes may try it. Never a lock.
    #[arg(long, env = "FIELDREPORT_ACCOUNT_FAILURE_LIMIT", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    account_failure_limit: u32,
    /// Seconds a client may take to send a request's head, from its first byte.
    #[arg(long, env = "FIELDREPORT_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=600))]
    header_timeout_secs: u32,
    /// Seconds a client may take to send a request's body, from its first byte to its last.
    #[arg(long, env = "FIELDREPORT_BODY_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    body_timeout_secs: u32,
    /// Seconds a connection with no request in flight stays open without a byte from its client.
    #[arg(long, env = "FIELDREPORT_IDLE_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    idle_timeout_secs: u32,
    /// Seconds a response may wait for a client that takes nothing of it (a stalled download).
    #[arg(long, env = "FIELDREPORT_SEND_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    send_timeout_secs: u32,
    /// Connections open at once; past it, new ones are refused at once (503).
    #[arg(long, env = "FIELDREPORT_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,
    /// Connections open at once from one address (an IPv6 /64); 0 for no cap per address
    /// (behind a reverse proxy, every connection comes from the proxy).
    #[arg(
        long,
        env = "FIELDREPORT_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 1_000
    )]
    max_connections_per_address: u32,
}

impl ServerOptions {
    fn config(&self) -> Config {
        Config {
            sessions: SessionPolicy {
                idle_secs: i64::from(self.session_idle_hours) * 3600,
                absolute_secs: i64::from(self.session_days) * 24 * 3600,
            },
            secure_cookies: self.secure_cookies,
            trust_forwarded_for: self.trust_forwarded_for,
            sign_in_limits: ThrottleLimits {
                per_pair: self.pair_failure_limit as usize,
                per_address: self.address_failure_limit as usize,
                per_account: self.account_failure_limit as usize,
            },
            body_timeout: Duration::from_secs(self.body_timeout_secs.into()),
            ..Config::default()
        }
    }

    fn limits(&self) -> server::Limits {
        let secs = |n: u32| Duration::from_secs(n.into());
        server::Limits {
            timeouts: server::Timeouts {
                header: secs(self.header_timeout_secs),
                idle: secs(self.idle_timeout_secs),
                send: secs(self.send_timeout_secs),
            },
            max_connections: self.max_connections as usize,
            max_connections_per_address: self.max_connections_per_address as usize,
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    database: Database,
    #[command(flatten)]
    server: ServerOptions,
}

#[derive(Args)]
struct DemoArgs {
    /// The demo's SQLite database file, created if missing; a file the demo did not make is
    /// refused. Deliberately not read from FIELDREPORT_DB: the demo must never add itself
    /// to a real mission's database.
    #[arg(long, default_value = "fieldreport-demo.db")]
    db: PathBuf,
    /// Polling stations of a new demo mission, shared among Kenya's 1,448 wards (use
    /// 40000 for a national network). An existing demo file keeps its own.
    #[arg(long, default_value_t = demo::DEFAULT_STATIONS)]
    stations: usize,
    /// Reports generated on polling day for a new demo mission, spread over forms,
    /// regions, severities and hours, some of them reviewed.
    #[arg(long, default_value_t = 2_000)]
    reports: usize,
    /// Observers of a new demo mission, besides the demo accounts (default: one for every
    /// ten polling stations).
    #[arg(long)]
    observers: Option<usize>,
    /// Make the demo file and stop, without serving it (for benchmarks).
    #[arg(long)]
    no_serve: bool,
    #[command(flatten)]
    server: ServerOptions,
}

#[derive(Subcommand)]
enum MissionCommand {
    /// Create a mission (and the database file, if it does not exist).
    Add {
        #[command(flatten)]
        database: Database,
        /// Short name used in URLs and commands, e.g. kenya-2017.
        #[arg(long)]
        slug: String,
        /// Full name, e.g. "Kenya 2017 General Election".
        #[arg(long)]
        name: String,
        #[arg(long)]
        country: String,
        /// Election day, YYYY-MM-DD.
        #[arg(long)]
        election_date: String,
        /// IANA time zone in which the mission reads times, e.g. Africa/Nairobi.
        #[arg(long)]
        time_zone: String,
    },
    /// List the missions in the database.
    List {
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user to a mission. The password is read from standard input.
    Add {
        #[command(flatten)]
        database: Database,
        /// The mission's slug.
        #[arg(long)]
        mission: String,
        /// observer, coordinator, lead or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        username: String,
        /// Full name shown to the team (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Phone number, for coordinators to call.
        #[arg(long)]
        phone: Option<String>,
        /// Generate a password and print it instead of reading one.
        #[arg(long)]
        generate_password: bool,
    },
    /// List users and their roles.
    List {
        #[command(flatten)]
        database: Database,
        /// Only this mission's users.
        #[arg(long)]
        mission: Option<String>,
    },
    /// Disable a user: they are signed out and cannot sign in again.
    Disable {
        #[command(flatten)]
        database: Database,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import regions (and polling stations) from a CSV file. All or nothing; re-runnable.
    Regions {
        #[command(flatten)]
        database: Database,
        /// The mission's slug.
        #[arg(long)]
        mission: String,
        /// The levels from the top, as level:code_column:name_column, comma-separated, e.g.
        /// county:county_code:county,constituency:constituency_code:constituency
        #[arg(long)]
        levels: String,
        /// Column with the registered voters of the deepest level (polling stations).
        #[arg(long)]
        voters: Option<String>,
        /// Column with the latitude of the deepest level.
        #[arg(long)]
        latitude: Option<String>,
        /// Column with the longitude of the deepest level.
        #[arg(long)]
        longitude: Option<String>,
        /// The CSV file (UTF-8, with a header row).
        file: PathBuf,
    },
    /// Import a form definition: TOML, or JSON if the file name ends in .json. A changed
    /// form becomes a new version; reports filed earlier keep theirs.
    Form {
        #[command(flatten)]
        database: Database,
        /// The mission's slug.
        #[arg(long)]
        mission: String,
        /// The definition file.
        file: PathBuf,
    },
}

/// A command-line failure: printed as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct CliError(String);

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

/// Parses the command line, runs the command and returns the exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fieldreport: {e}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => serve(&args.database.db, &args.server),
        Command::Demo(args) => run_demo(&args),
        Command::Mission(command) => mission(command),
        Command::User(command) => user(command),
        Command::Import(ImportCommand::Regions {
            database,
            mission,
            levels,
            voters,
            latitude,
            longitude,
            file,
        }) => {
            let stations = StationColumns {
                registered_voters: voters,
                latitude,
                longitude,
            };
            import_regions(&database.db, &mission, &levels, stations, &file)
        }
        Command::Import(ImportCommand::Form {
            database,
            mission,
            file,
        }) => import_form(&database.db, &mission, &file),
        Command::Verify { database } => verify(&database.db),
    }
}

fn verify(db: &Path) -> Result<(), CliError> {
    let store = open(db, OpenMode::MustExist)?;
    let mut sound = true;
    for mission in store.read_blocking(missions::all).map_err(fail)? {
        let id = mission.id;
        let chain = store
            .read_blocking(move |conn| reports::verify_chain(conn, id))
            .map_err(fail)?;
        match chain.broken_at {
            None => println!(
                "{}: {} reports, hash chain intact",
                mission.slug, chain.reports
            ),
            Some(reference) => {
                sound = false;
                println!(
                    "{}: the hash chain breaks at report {reference} (number {} in order of arrival): \
                     it, or a report before it, was changed or removed after filing",
                    mission.slug, chain.reports
                );
            }
        }
    }
    // The facts are loaded as the server loads them, then compared with plain SQL.
    let facts = store.facts();
    let differences = store
        .read_blocking(move |conn| recount::compare(conn, &facts))
        .map_err(fail)?;
    if differences.is_empty() {
        println!("the dashboard's figures equal a count of the reports");
    }
    for d in &differences {
        sound = false;
        println!(
            "{}: {} differ: counted over the reports\n{}\nbut held in memory\n{}",
            d.mission, d.figure, d.counted, d.held
        );
    }
    if sound {
        Ok(())
    } else {
        Err(CliError("verification failed".to_owned()))
    }
}

fn open(path: &Path, mode: OpenMode) -> Result<Store, CliError> {
    Store::open(path, mode).map_err(|e| match mode {
        OpenMode::MustExist => CliError(format!(
            "{e} (create one with `fieldreport mission add` or run `fieldreport demo`)"
        )),
        OpenMode::CreateIfMissing => fail(e),
    })
}

fn init_logging() {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|spec| spec.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .try_init();
}

fn serve(db: &Path, options: &ServerOptions) -> Result<(), CliError> {
    init_logging();
    let store = open(db, OpenMode::MustExist)?;
    serve_store(store, options, |_| {})
}

/// Binds the address, says where it listens (after `before_serving` has printed what it
/// has to say), and serves until stopped.
fn serve_store(
    store: Store,
    options: &ServerOptions,
    before_serving: impl FnOnce(SocketAddr),
) -> Result<(), CliError> {
    let state = AppState::new(store.clone(), options.config()).map_err(fail)?;
    // The dashboard's figures come from the report facts: loaded while the server starts
    // listening, and the first dashboard waits for them rather than the server's start.
    let facts = store.facts();
    std::thread::spawn(move || {
        if let Err(e) = facts.preload() {
            tracing::error!(error = %e, "the report facts cannot be loaded");
        }
    });
    // And so does its team, which a national network reads in tens of milliseconds.
    let rosters = store.clone();
    std::thread::spawn(move || {
        if let Err(e) = rosters.preload_rosters() {
            tracing::error!(error = %e, "the mission's team cannot be read");
        }
    });
    let runtime = tokio::runtime::Runtime::new().map_err(fail)?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| CliError(format!("cannot listen on {}: {e}", options.listen)))?;
        let address = listener.local_addr().map_err(fail)?;
        before_serving(address);
        println!(
            "fieldreport is listening on http://{address}/ (database {})",
            store.path().display()
        );
        let _ = std::io::stdout().flush();
        server::serve(listener, state, options.limits())
            .await
            .map_err(fail)
    })
}

fn run_demo(args: &DemoArgs) -> Result<(), CliError> {
    init_logging();
    let (db, options) = (&args.db, &args.server);
    let mut size = demo::DemoSize::new(args.stations, args.reports).map_err(fail)?;
    if let Some(observers) = args.observers {
        size.observers = observers;
    }
    let store = demo::open(db).map_err(fail)?;
    let started = std::time::Instant::now();
    let progress = |filed: usize| {
        if args.reports >= 50_000 && filed % 50_000 < 5_000 {
            eprintln!(
                "  {filed} of {} reports generated ({:.0} s)",
                args.reports,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let demo = demo::ensure(&store, size, &progress).map_err(fail)?;
    let verb = if demo.created { "created" } else { "found" };
    if let Some((count, password)) = &demo.generated_observers {
        println!(
            "Generated {count} more observers, observer-00001 to observer-{count:05}, all with the password {password}."
        );
    }
    let accounts = move || {
        println!(
            "  {:<12} {:<12} {:<18} name",
            "role", "username", "password"
        );
        for account in &demo.accounts {
            println!(
                "  {:<12} {:<12} {:<18} {}",
                account.role.as_str(),
                account.username,
                account.password,
                account.name
            );
        }
        println!();
    };
    if args.no_serve {
        println!(
            "Demo mission \"Kenya 2017 General Election\" {verb} in {} ({:.1} s). Its accounts (new passwords each time the demo starts):\n",
            db.display(),
            started.elapsed().as_secs_f64()
        );
        accounts();
        return Ok(());
    }
    serve_store(store, options, |address| {
        println!(
            "Demo mission \"Kenya 2017 General Election\" {verb} in {}.",
            db.display()
        );
        println!(
            "Sign in at http://{address}/login as any of these (new passwords each time the demo starts):\n"
        );
        accounts();
    })
}

fn mission(command: MissionCommand) -> Result<(), CliError> {
    match command {
        MissionCommand::Add {
            database,
            slug,
            name,
            country,
            election_date,
            time_zone,
        } => {
            let new = NewMission::parse(&slug, &name, &country, &election_date, &time_zone)
                .map_err(fail)?;
            let store = open(&database.db, OpenMode::CreateIfMissing)?;
            let mission = store
                .write_blocking(move |conn| missions::create(conn, &new))
                .map_err(fail)?;
            println!("created mission {} ({})", mission.slug, mission.name);
            Ok(())
        }
        MissionCommand::List { database } => {
            let store = open(&database.db, OpenMode::MustExist)?;
            for m in store.read_blocking(missions::all).map_err(fail)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    m.slug, m.name, m.country, m.election_date, m.time_zone
                );
            }
            Ok(())
        }
    }
}

fn user(command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Add {
            database,
            mission,
            role,
            username,
            name,
            phone,
            generate_password,
        } => {
            let role: Role = role.parse().map_err(fail)?;
            let username = Username::parse(&username).map_err(fail)?;
            let display_name =
                parse_display_name(name.as_deref().unwrap_or(username.as_str())).map_err(fail)?;
            let phone = parse_phone(phone.as_deref().unwrap_or_default()).map_err(fail)?;
            let store = open(&database.db, OpenMode::MustExist)?;
            let slug = mission.clone();
            let mission = store
                .read_blocking(move |conn| missions::by_slug(conn, &slug))
                .map_err(fail)?;
            let password = if generate_password {
                crate::credentials::generate_password().map_err(fail)?
            } else {
                read_password()?
            };
            let new = NewMember {
                mission_id: mission.id,
                username: username.clone(),
                display_name,
                phone,
                role,
                password_hash: hash_password(&password).map_err(fail)?,
            };
            store
                .write_blocking(move |conn| users::create(conn, &new, &Actor::command_line()))
                .map_err(fail)?;
            println!("added {username} to {} as {role}", mission.slug);
            if generate_password {
                println!("password: {}", password.expose());
            }
            Ok(())
        }
        UserCommand::List { database, mission } => {
            let store = open(&database.db, OpenMode::MustExist)?;
            if let Some(slug) = mission.clone() {
                store
                    .read_blocking(move |conn| missions::by_slug(conn, &slug))
                    .map_err(fail)?;
            }
            let rows = store
                .read_blocking(move |conn| users::list(conn, mission.as_deref()))
                .map_err(fail)?;
            println!(
                "{:<16} {:<24} {:<12} {:<8} name",
                "mission", "username", "role", "status"
            );
            for row in rows {
                let status = if row.disabled { "disabled" } else { "active" };
                println!(
                    "{:<16} {:<24} {:<12} {:<8} {}",
                    row.mission,
                    row.username,
                    row.role.as_str(),
                    status,
                    row.display_name
                );
            }
            Ok(())
        }
        UserCommand::Disable { database, username } => {
            let username = Username::parse(&username).map_err(fail)?;
            let store = open(&database.db, OpenMode::MustExist)?;
            let name = username.to_string();
            store
                .write_blocking(move |conn| {
                    users::disable_by_username(conn, &name, &Actor::command_line())
                })
                .map_err(fail)?;
            println!("disabled {username}; their sessions have ended");
            Ok(())
        }
    }
}

/// Reads a password from the first line of standard input.
fn read_password() -> Result<NewPassword, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new user (shown as you type; or use --generate-password): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("cannot read the password: {e}")))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(CliError(
            "no password on standard input (or use --generate-password)".into(),
        ));
    }
    NewPassword::parse(password).map_err(fail)
}

fn import_regions(
    db: &Path,
    slug: &str,
    levels: &str,
    stations: StationColumns,
    file: &Path,
) -> Result<(), CliError> {
    let scheme =
        ImportScheme::parse(levels, stations).map_err(|e| CliError(format!("--levels: {e}")))?;
    let store = open(db, OpenMode::MustExist)?;
    let slug_owned = slug.to_owned();
    let mission = store
        .read_blocking(move |conn| missions::by_slug(conn, &slug_owned))
        .map_err(fail)?;
    let reader = std::fs::File::open(file)
        .map_err(|e| CliError(format!("cannot open {}: {e}", file.display())))?;
    let plan = plan_import(&scheme, std::io::BufReader::new(reader))
        .map_err(|e| CliError(format!("{}: {e}; nothing was imported", file.display())))?;
    let file_name = file.display().to_string();
    let outcomes = store
        .write_blocking(move |conn| regions::import(conn, mission.id, &plan))
        .map_err(|e| CliError(format!("{file_name}: {e}; nothing was imported")))?;
    for o in outcomes {
        println!(
            "{}: {} added, {} already present{}",
            level_label(&o.level),
            o.added,
            o.unchanged,
            if o.updated > 0 {
                format!(", {} updated", o.updated)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

fn import_form(db: &Path, slug: &str, file: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
    let is_json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        FormDefinition::from_json(&text)
    } else {
        FormDefinition::from_toml(&text)
    };
    let definition =
        parsed.map_err(|e| CliError(format!("{}: {e}; nothing was imported", file.display())))?;
    let store = open(db, OpenMode::MustExist)?;
    let slug = slug.to_owned();
    let key = definition.key.clone();
    let outcome = store
        .write_blocking(move |conn| {
            let mission = missions::by_slug(conn, &slug)?;
            forms::import(conn, mission.id, &definition, &Actor::command_line())
        })
        .map_err(fail)?;
    match outcome {
        Imported::Created { version } => println!("{key}: created (version {version})"),
        Imported::Unchanged { version } => println!("{key}: unchanged (version {version})"),
        Imported::NewVersion { version } => {
            println!("{key}: new version {version}; reports filed earlier keep their version")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
