//! Importing a mission's geography from CSV: the Kenya file, re-runs, and broken files.

use std::path::PathBuf;

use fieldreport::domain::geography::{ImportScheme, StationColumns, plan_import};
use fieldreport::store::{OpenMode, Store, StoreError, missions, regions};

const KENYA_LEVELS: &str =
    "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward";

fn kenya_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/demo/kenya-wards.csv")
}

async fn empty_mission() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("geo.db"), OpenMode::CreateIfMissing).expect("open");
    let mission = fieldreport::domain::mission::NewMission::parse(
        "ke",
        "Kenya",
        "Kenya",
        "2017-08-08",
        "Africa/Nairobi",
    )
    .expect("valid");
    let id = store
        .write(move |conn| Ok(missions::create(conn, &mission)?.id))
        .await
        .expect("mission");
    (dir, store, id)
}

async fn import(
    store: &Store,
    mission_id: i64,
    levels: &str,
    stations: StationColumns,
    csv: Vec<u8>,
) -> Result<Vec<regions::LevelOutcome>, String> {
    let scheme = ImportScheme::parse(levels, stations).map_err(|e| e.to_string())?;
    let plan = plan_import(&scheme, &csv[..]).map_err(|e| e.to_string())?;
    store
        .write(move |conn| regions::import(conn, mission_id, &plan))
        .await
        .map_err(|e: StoreError| e.to_string())
}

async fn counts(store: &Store, mission_id: i64) -> Vec<(String, i64)> {
    store
        .read(move |conn| regions::counts_by_level(conn, mission_id))
        .await
        .expect("counts")
}

#[tokio::test]
async fn imports_kenya_and_a_second_run_adds_nothing() {
    let (_dir, store, mission) = empty_mission().await;
    let csv = std::fs::read(kenya_file()).expect("the Kenya file shipped with the demo");
    let first = import(
        &store,
        mission,
        KENYA_LEVELS,
        StationColumns::default(),
        csv.clone(),
    )
    .await
    .expect("import");
    let added: Vec<usize> = first.iter().map(|o| o.added).collect();
    assert_eq!(added, [47, 290, 1448]);
    let expected = vec![
        ("county".to_owned(), 47),
        ("constituency".to_owned(), 290),
        ("ward".to_owned(), 1448),
    ];
    assert_eq!(counts(&store, mission).await, expected);

    let second = import(
        &store,
        mission,
        KENYA_LEVELS,
        StationColumns::default(),
        csv,
    )
    .await
    .expect("re-run");
    assert!(second.iter().all(|o| o.added == 0 && o.updated == 0));
    assert_eq!(
        second.iter().map(|o| o.unchanged).collect::<Vec<_>>(),
        [47, 290, 1448]
    );
    assert_eq!(counts(&store, mission).await, expected);

    // Paths nest: every ward's path starts with its constituency's and county's.
    let orphans: i64 = store
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM regions c JOIN regions p ON p.id = c.parent_id
                 WHERE c.mission_id = ?1 AND substr(c.path, 1, length(p.path)) <> p.path",
                [mission],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("query");
    assert_eq!(orphans, 0);
}

#[tokio::test]
async fn polling_stations_import_under_existing_wards_with_voters_and_coordinates() {
    let (_dir, store, mission) = empty_mission().await;
    let csv = std::fs::read(kenya_file()).expect("the Kenya file shipped with the demo");
    import(
        &store,
        mission,
        KENYA_LEVELS,
        StationColumns::default(),
        csv,
    )
    .await
    .expect("wards");
    let stations = "county_code,county,constituency_code,constituency,ward_code,ward,ps_code,ps_name,voters,lat,lon
001,Mombasa,001,Changamwe,0001,Port reitz,001001000100101,Port Reitz Primary,512,-4.03,39.60
001,Mombasa,001,Changamwe,0001,Port reitz,001001000100102,Bomu Hall,,,
";
    let levels = format!("{KENYA_LEVELS},polling_station:ps_code:ps_name");
    let extras = || StationColumns {
        registered_voters: Some("voters".into()),
        latitude: Some("lat".into()),
        longitude: Some("lon".into()),
    };
    let outcome = import(
        &store,
        mission,
        &levels,
        extras(),
        stations.as_bytes().to_vec(),
    )
    .await
    .expect("stations");
    assert_eq!(outcome[3].added, 2);
    assert_eq!(outcome[2].unchanged, 1, "the ward was already there");
    let station = store
        .read(move |conn| regions::by_code(conn, mission, 4, "001001000100101"))
        .await
        .expect("station");
    assert_eq!(station.registered_voters, Some(512));
    assert_eq!(station.path.as_str(), "/001/001/0001/001001000100101/");

    // New voter figures for a station are an update, not a duplicate.
    let revised = stations.replace(",512,", ",530,");
    let outcome = import(&store, mission, &levels, extras(), revised.into_bytes())
        .await
        .expect("revised");
    assert_eq!(
        (outcome[3].added, outcome[3].updated, outcome[3].unchanged),
        (0, 1, 1)
    );
    assert_eq!(
        counts(&store, mission).await[3],
        ("polling_station".to_owned(), 2)
    );

    // Blank columns in a later file leave stored figures alone.
    let blanks = stations.replace(",512,-4.03,39.60", ",600,,");
    import(&store, mission, &levels, extras(), blanks.into_bytes())
        .await
        .expect("blanks");
    let located: (Option<i64>, Option<f64>, Option<f64>) = store
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT registered_voters, latitude, longitude FROM regions WHERE mission_id = ?1 AND code = '001001000100101'",
                [mission],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .expect("read");
    assert_eq!(located, (Some(600), Some(-4.03), Some(39.60)));
}

#[tokio::test]
async fn broken_files_import_nothing_and_name_the_line() {
    let (_dir, store, mission) = empty_mission().await;
    let header = "county_code,county,constituency_code,constituency,ward_code,ward\n";
    let cases = [
        (
            "county_code,county,constituency_code,ward_code,ward\n001,Mombasa,001,0001,Port Reitz\n",
            "line 1: missing column `constituency` (the file has: county_code, county, constituency_code, ward_code, ward)",
        ),
        (
            "001,Mombasa,001,Changamwe,0001,Port Reitz\n001,Mombasa,001,Changamwe,0002,Kipevu\n001,Mombasa,002,Jomvu,0002,Miritini\n",
            "line 4: ward code `0002` is named `Miritini` here but `Kipevu` on line 3",
        ),
        (
            "001,Mombasa,001,Changamwe,0001,Port Reitz\n002,Kwale,,,0010,Gombato\n",
            "line 3: orphan row: the ward `0010` has no constituency code",
        ),
        (
            "001,Mombasa,001,Changamwe,0001,Port Reitz\n001,Mombasa,001\n",
            "line 3: this row has 3 fields but the header has 6",
        ),
    ];
    for (body, message) in cases {
        let csv = if body.starts_with("county_code") {
            body.to_owned()
        } else {
            format!("{header}{body}")
        };
        let error = import(
            &store,
            mission,
            KENYA_LEVELS,
            StationColumns::default(),
            csv.into_bytes(),
        )
        .await
        .expect_err("refused");
        assert_eq!(error, message);
        assert!(
            counts(&store, mission).await.iter().all(|(_, n)| *n == 0),
            "nothing imported after: {message}"
        );
    }
}

#[tokio::test]
async fn a_file_that_contradicts_the_mission_imports_nothing() {
    let (_dir, store, mission) = empty_mission().await;
    let header = "county_code,county,constituency_code,constituency,ward_code,ward\n";
    let first = format!("{header}001,Mombasa,001,Changamwe,0001,Port Reitz\n");
    import(
        &store,
        mission,
        KENYA_LEVELS,
        StationColumns::default(),
        first.into_bytes(),
    )
    .await
    .expect("first");
    // A valid file on its own, but ward 0001 already exists with another name: the new
    // county and constituency on the earlier lines must not be kept either.
    let second = format!(
        "{header}047,Nairobi,285,Westlands,1427,Parklands\n001,Mombasa,001,Changamwe,0001,Port Rights\n"
    );
    let error = import(
        &store,
        mission,
        KENYA_LEVELS,
        StationColumns::default(),
        second.into_bytes(),
    )
    .await
    .expect_err("refused");
    assert_eq!(
        error,
        "line 3: ward code `0001` is already in the mission as `Port Reitz`, not `Port Rights`"
    );
    let expected: Vec<(String, i64)> = ["county", "constituency", "ward"]
        .iter()
        .map(|l| ((*l).to_owned(), 1))
        .collect();
    assert_eq!(counts(&store, mission).await, expected);

    let renamed_levels =
        "county:county_code:county,subcounty:constituency_code:constituency,ward:ward_code:ward";
    let third = format!("{header}047,Nairobi,285,Westlands,1427,Parklands\n");
    let error = import(
        &store,
        mission,
        renamed_levels,
        StationColumns::default(),
        third.into_bytes(),
    )
    .await
    .expect_err("levels differ");
    assert!(
        error.contains("level 2 of this mission is `constituency`"),
        "{error}"
    );
    assert_eq!(counts(&store, mission).await, expected);
}
