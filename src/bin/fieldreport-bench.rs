//! Benchmarks for fieldreport's hot paths. Figures go to BENCHMARKS.md.
//!
//! `cargo run --release --bin fieldreport-bench -- import [--file PATH] [--runs N] [--stations N]`
//!
//! Each measurement is the median of several runs, beside a baseline measured in the
//! same run: plain INSERTs of the same rows in one transaction, without any checking.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use fieldreport::domain::geography::{ImportScheme, RegionPlan, StationColumns, plan_import};
use fieldreport::domain::mission::NewMission;
use fieldreport::store::{OpenMode, Store, missions, regions};

const KENYA_LEVELS: &str =
    "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward";

struct Options {
    file: PathBuf,
    runs: usize,
    stations: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("import") {
        return Err(
            "usage: fieldreport-bench import [--file PATH] [--runs N] [--stations N]".into(),
        );
    }
    let mut options = Options {
        file: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/demo/kenya-wards.csv"),
        runs: 7,
        stations: 40_000,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--file" => options.file = PathBuf::from(value),
            "--runs" => {
                options.runs = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--runs takes a number above 0")?
            }
            "--stations" => {
                options.stations = value.parse().map_err(|_| "--stations takes a number")?
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    match parse_args().and_then(|options| run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fieldreport-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn run(options: &Options) -> Result<(), String> {
    let wards_csv =
        std::fs::read(&options.file).map_err(|e| format!("{}: {e}", options.file.display()))?;
    let stations_csv = station_file(&wards_csv, options.stations)?;
    let station_levels = format!("{KENYA_LEVELS},polling_station:ps_code:ps_name");
    let station_extras = StationColumns {
        registered_voters: Some("voters".into()),
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("fieldreport-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;

    let mut fresh = Vec::new();
    let mut rerun = Vec::new();
    let mut stations = Vec::new();
    let mut baseline_wards = Vec::new();
    let mut baseline_stations = Vec::new();
    for i in 0..options.runs {
        let store = Store::open(&dir.join(format!("run{i}.db")), OpenMode::CreateIfMissing)
            .map_err(|e| e.to_string())?;
        let mission = new_mission(&store, "bench")?;
        fresh.push(timed_import(
            &store,
            mission,
            KENYA_LEVELS,
            StationColumns::default(),
            &wards_csv,
        )?);
        rerun.push(timed_import(
            &store,
            mission,
            KENYA_LEVELS,
            StationColumns::default(),
            &wards_csv,
        )?);
        stations.push(timed_import(
            &store,
            mission,
            &station_levels,
            station_extras.clone(),
            &stations_csv,
        )?);

        let plain = new_mission(&store, "baseline")?;
        let wards = plan(KENYA_LEVELS, StationColumns::default(), &wards_csv)?;
        baseline_wards.push(timed_bare_insert(&store, plain, wards)?);
        let all = plan(&station_levels, station_extras.clone(), &stations_csv)?;
        baseline_stations.push(timed_bare_insert(
            &store,
            new_mission(&store, "baseline2")?,
            all,
        )?);
    }
    let _ = std::fs::remove_dir_all(&dir);

    let row = |what: &str, ours: Duration, base: Duration| {
        println!(
            "{what:<48} {:>10}   baseline {:>10}   ratio {:.2}",
            ms(ours),
            ms(base),
            ours.as_secs_f64() / base.as_secs_f64()
        );
    };
    println!(
        "median of {} runs, file {}",
        options.runs,
        options.file.display()
    );
    row(
        "import 47/290/1,448 regions (parse+check+write)",
        median(fresh),
        median(baseline_wards.clone()),
    );
    row(
        "same file again (nothing added)",
        median(rerun),
        median(baseline_wards),
    );
    row(
        &format!("import {} polling stations with voters", options.stations),
        median(stations),
        median(baseline_stations),
    );
    Ok(())
}

fn new_mission(store: &Store, slug: &'static str) -> Result<i64, String> {
    let mission = NewMission::parse(slug, "Bench", "Kenya", "2017-08-08", "Africa/Nairobi")
        .map_err(|e| e.0)?;
    store
        .write_blocking(move |conn| Ok(missions::create(conn, &mission)?.id))
        .map_err(|e| e.to_string())
}

fn plan(levels: &str, extras: StationColumns, csv: &[u8]) -> Result<RegionPlan, String> {
    let scheme = ImportScheme::parse(levels, extras).map_err(|e| e.to_string())?;
    plan_import(&scheme, csv).map_err(|e| e.to_string())
}

/// The whole import as the command line does it: parse and check the file, then apply.
fn timed_import(
    store: &Store,
    mission: i64,
    levels: &str,
    extras: StationColumns,
    csv: &[u8],
) -> Result<Duration, String> {
    let start = Instant::now();
    let plan = plan(levels, extras, csv)?;
    store
        .write_blocking(move |conn| regions::import(conn, mission, &plan))
        .map_err(|e| e.to_string())?;
    Ok(start.elapsed())
}

/// The floor: the same rows inserted with no lookups, no checks and no parsing.
fn timed_bare_insert(store: &Store, mission: i64, plan: RegionPlan) -> Result<Duration, String> {
    let start = Instant::now();
    store
        .write_blocking(move |conn| regions::insert_unchecked(conn, mission, &plan))
        .map_err(|e| e.to_string())?;
    Ok(start.elapsed())
}

/// A polling-station file under the Kenya wards: `count` stations spread over the wards.
fn station_file(wards_csv: &[u8], count: usize) -> Result<Vec<u8>, String> {
    let mut reader = csv::Reader::from_reader(wards_csv);
    let wards: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut out = String::from(
        "county_code,county,constituency_code,constituency,ward_code,ward,ps_code,ps_name,voters\n",
    );
    for n in 0..count {
        let ward = &wards[n % wards.len()];
        let field = |i| ward.get(i).unwrap_or_default().replace('"', "");
        out.push_str(&format!(
            "{},\"{}\",{},\"{}\",{},\"{}\",{}{:04},\"Station {n}\",{}\n",
            field(0),
            field(1),
            field(2),
            field(3),
            field(4),
            field(5),
            field(4),
            n / wards.len(),
            200 + n % 500
        ));
    }
    Ok(out.into_bytes())
}
