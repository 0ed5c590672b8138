//! The demo mission: Kenya's 2017 general election in Kenya's real counties,
//! constituencies and wards, with generated polling stations, people and reports, built
//! from what is in the binary alone so that a newcomer can run it anywhere.

use std::collections::HashMap;
use std::path::Path;

use crate::credentials::{generate_password, hash_password};
use crate::domain::account::{NewPassword, Username};
use crate::domain::form::FormDefinition;
use crate::domain::geography::{
    ImportError, ImportScheme, Location, PlannedRegion, RegionPlan, StationColumns, plan_import,
};
use crate::domain::mission::NewMission;
use crate::domain::role::Role;
use crate::store::audit::Actor;
use crate::store::demo_marker::{self, Found};
use crate::store::users::NewMember;
use crate::store::{OpenMode, Store, StoreError, forms, missions, regions, users};

pub mod generate;

/// The demo mission's slug.
pub const SLUG: &str = "kenya-2017";

/// Kenya's 47 counties, 290 constituencies and 1,448 wards with their official names and
/// codes, one row per ward (see the README's Data section for its source and licence).
pub const KENYA_WARDS: &str = include_str!("kenya-wards.csv");

/// The levels of `KENYA_WARDS`, as `fieldreport import regions --levels` takes them.
pub const KENYA_LEVELS: &str =
    "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward";

/// Wards in the demo geography: Kenya's, as in `KENYA_WARDS`.
pub const WARDS: usize = 1448;

/// Polling stations of a new demo mission unless told otherwise: three in each ward.
pub const DEFAULT_STATIONS: usize = 3 * WARDS;

const STATION_PLACES: [&str; 6] = [
    "Primary School",
    "Secondary School",
    "Social Hall",
    "Chief's Camp",
    "Community Centre",
    "Market Shed",
];

/// Approximate centre (latitude, longitude) and spread in degrees of each county, by its
/// official code: enough to place demo polling stations on a recognisable map of Kenya.
/// Not survey data.
const COUNTY_CENTRES: [(&str, f64, f64, f64); 47] = [
    ("001", -4.04, 39.66, 0.06), // Mombasa
    ("002", -4.20, 39.10, 0.35), // Kwale
    ("003", -3.30, 39.55, 0.45), // Kilifi
    ("004", -1.60, 39.90, 0.90), // Tana River
    ("005", -2.10, 40.70, 0.40), // Lamu
    ("006", -3.40, 38.40, 0.50), // Taita-Taveta
    ("007", -0.50, 39.90, 0.90), // Garissa
    ("008", 1.80, 40.10, 1.00),  // Wajir
    ("009", 3.50, 40.90, 0.70),  // Mandera
    ("010", 2.80, 37.70, 1.10),  // Marsabit
    ("011", 0.90, 38.70, 0.70),  // Isiolo
    ("012", 0.10, 37.70, 0.35),  // Meru
    ("013", -0.30, 37.90, 0.20), // Tharaka-Nithi
    ("014", -0.60, 37.60, 0.25), // Embu
    ("015", -1.50, 38.30, 0.80), // Kitui
    ("016", -1.40, 37.40, 0.40), // Machakos
    ("017", -2.00, 37.70, 0.50), // Makueni
    ("018", -0.40, 36.50, 0.25), // Nyandarua
    ("019", -0.40, 36.95, 0.20), // Nyeri
    ("020", -0.55, 37.30, 0.12), // Kirinyaga
    ("021", -0.80, 37.00, 0.20), // Murang'a
    ("022", -1.00, 36.80, 0.25), // Kiambu
    ("023", 3.30, 35.60, 1.20),  // Turkana
    ("024", 1.60, 35.30, 0.45),  // West Pokot
    ("025", 1.30, 37.10, 0.60),  // Samburu
    ("026", 1.00, 34.95, 0.18),  // Trans Nzoia
    ("027", 0.50, 35.30, 0.25),  // Uasin Gishu
    ("028", 0.80, 35.50, 0.25),  // Elgeyo-Marakwet
    ("029", 0.20, 35.10, 0.22),  // Nandi
    ("030", 0.70, 35.90, 0.45),  // Baringo
    ("031", 0.30, 36.80, 0.45),  // Laikipia
    ("032", -0.40, 36.00, 0.45), // Nakuru
    ("033", -1.30, 35.60, 0.65), // Narok
    ("034", -2.10, 36.80, 0.70), // Kajiado
    ("035", -0.40, 35.30, 0.20), // Kericho
    ("036", -0.80, 35.30, 0.20), // Bomet
    ("037", 0.30, 34.80, 0.20),  // Kakamega
    ("038", 0.07, 34.70, 0.06),  // Vihiga
    ("039", 0.70, 34.60, 0.20),  // Bungoma
    ("040", 0.40, 34.20, 0.15),  // Busia
    ("041", 0.10, 34.30, 0.20),  // Siaya
    ("042", -0.10, 34.80, 0.20), // Kisumu
    ("043", -0.60, 34.50, 0.25), // Homa Bay
    ("044", -1.00, 34.40, 0.25), // Migori
    ("045", -0.70, 34.80, 0.10), // Kisii
    ("046", -0.60, 34.95, 0.08), // Nyamira
    ("047", -1.29, 36.82, 0.08), // Nairobi
];

/// A demo station's place: spread around its county's centre by a stable hash of its
/// number, evenly over a disc. None for a county code not in `COUNTY_CENTRES`.
fn station_location(county_code: &str, station_no: usize) -> Option<Location> {
    let &(_, lat, lon, spread) = COUNTY_CENTRES
        .iter()
        .find(|(code, ..)| *code == county_code)?;
    let mut dice = generate::Dice::new(station_no as u64);
    let angle = dice.below(3600) as f64 / 3600.0 * std::f64::consts::TAU;
    let distance = spread * (dice.below(1000) as f64 / 1000.0).sqrt();
    Some(Location {
        latitude: lat + distance * angle.sin(),
        longitude: lon + distance * angle.cos(),
    })
}

/// Builds the demo geography: Kenya's counties, constituencies and wards from
/// `KENYA_WARDS` (read as `fieldreport import regions` reads a file), and under the wards
/// `stations` generated polling stations, shared among them as evenly as can be, with
/// registered voters and (approximate) coordinates. A station's code is its ward's code
/// and three digits.
pub fn geography(stations: usize) -> Result<RegionPlan, ImportError> {
    let scheme = ImportScheme::parse(KENYA_LEVELS, StationColumns::default())?;
    let mut plan = plan_import(&scheme, KENYA_WARDS.as_bytes())?;
    let county_of: HashMap<&str, &str> = plan
        .regions
        .iter()
        .filter(|r| r.depth == 2)
        .filter_map(|r| Some((r.code.as_str(), r.parent_code.as_deref()?)))
        .collect();
    let wards: Vec<(&PlannedRegion, &str)> = plan
        .regions
        .iter()
        .filter(|r| r.depth == 3)
        .map(|ward| {
            let constituency = ward.parent_code.as_deref().unwrap_or_default();
            (
                ward,
                county_of.get(constituency).copied().unwrap_or_default(),
            )
        })
        .collect();
    let ward_count = wards.len().max(1);
    let mut generated = Vec::with_capacity(stations);
    for (index, (ward, county)) in wards.iter().enumerate() {
        let ward_no = index + 1;
        let in_ward = stations / ward_count + usize::from(ward_no <= stations % ward_count);
        for n in 0..in_ward {
            let place = STATION_PLACES[(ward_no + n) % STATION_PLACES.len()];
            generated.push(PlannedRegion {
                depth: 4,
                code: format!("{}{:03}", ward.code, n + 1),
                name: format!("{} {place} {}", ward.name, n + 1),
                parent_code: Some(ward.code.clone()),
                line: 0,
                registered_voters: Some(registered_voters(ward_no, n)),
                location: station_location(county, generated.len() + 1),
            });
        }
    }
    plan.regions.extend(generated);
    plan.levels.push("polling_station".to_owned());
    Ok(plan)
}

/// A stable spread of 200 to 699 voters (Kenyan streams hold up to 700).
fn registered_voters(ward_no: usize, station: usize) -> i64 {
    let mixed = (ward_no * 7919 + station * 104_729) % 500;
    200 + i64::try_from(mixed).unwrap_or(0)
}

/// A demo account and where an observer is deployed: (level depth, region codes).
struct DemoUser {
    username: &'static str,
    name: &'static str,
    role: Role,
    phone: &'static str,
    team: Option<&'static str>,
    assignments: &'static [(i64, &'static str)],
}

const USERS: [DemoUser; 9] = [
    DemoUser {
        username: "admin",
        name: "Amani Odhiambo",
        role: Role::Admin,
        phone: "+254 700 000 001",
        team: None,
        assignments: &[],
    },
    DemoUser {
        username: "lead",
        name: "Grace Wambui",
        role: Role::Lead,
        phone: "+254 700 000 002",
        team: None,
        assignments: &[],
    },
    DemoUser {
        username: "coordinator",
        name: "Peter Kiptoo",
        role: Role::Coordinator,
        phone: "+254 700 000 003",
        team: None,
        assignments: &[],
    },
    // Short-term observers cover a ward or a few polling stations; long-term ones a
    // constituency or a county. The codes are Kenya's (see KENYA_WARDS).
    DemoUser {
        username: "observer1",
        name: "Achieng Otieno",
        role: Role::Observer,
        phone: "+254 711 000 101",
        team: Some("Coast STO team 1"),
        // Port Reitz ward, Changamwe, Mombasa.
        assignments: &[(3, "0001")],
    },
    DemoUser {
        username: "observer2",
        name: "Wanjiru Kamau",
        role: Role::Observer,
        phone: "+254 711 000 102",
        team: Some("Nairobi STO team 4"),
        // Eastleigh South ward, Kamukunji, Nairobi.
        assignments: &[(3, "1436")],
    },
    DemoUser {
        username: "observer3",
        name: "Hassan Abdi",
        role: Role::Observer,
        phone: "+254 711 000 103",
        team: Some("Nyanza LTO team 2"),
        // Kasipul constituency, Homa Bay.
        assignments: &[(2, "245")],
    },
    DemoUser {
        username: "observer4",
        name: "Ekai Lokwang",
        role: Role::Observer,
        phone: "+254 711 000 104",
        team: Some("Rift Valley LTO team 1"),
        // Turkana county.
        assignments: &[(1, "023")],
    },
    DemoUser {
        username: "observer5",
        name: "Mutua Musyoka",
        role: Role::Observer,
        phone: "+254 711 000 105",
        team: Some("Coast STO team 1"),
        // Two polling stations of Kipevu ward, Changamwe, Mombasa (every ward has two at
        // least).
        assignments: &[(4, "0002001"), (4, "0002002")],
    },
    DemoUser {
        username: "observer6",
        name: "Njeri Wambui",
        role: Role::Observer,
        phone: "+254 711 000 106",
        team: Some("Nairobi STO team 4"),
        assignments: &[],
    },
];

/// How big a demo mission to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    /// Polling stations, at least two per ward (demo observers are assigned to stations).
    pub stations: usize,
    /// Reports generated on polling day when the mission is made.
    pub reports: usize,
    /// Observers added besides the demo accounts, sharing one password.
    pub observers: usize,
}

impl Default for DemoSize {
    fn default() -> DemoSize {
        DemoSize {
            stations: DEFAULT_STATIONS,
            reports: 2_000,
            observers: DEFAULT_STATIONS / 10,
        }
    }
}

impl DemoSize {
    /// A mission of `stations` polling stations, with an observer for every ten.
    pub fn new(stations: usize, reports: usize) -> Result<DemoSize, String> {
        if !(2 * WARDS..=999 * WARDS).contains(&stations) {
            return Err(format!(
                "the demo needs between {} and {} polling stations (2 to 999 in each of its {WARDS} wards)",
                2 * WARDS,
                999 * WARDS
            ));
        }
        Ok(DemoSize {
            stations,
            reports,
            observers: stations / 10,
        })
    }
}

/// A demo account's sign-in details, printed at start.
pub struct Account {
    pub role: Role,
    pub username: String,
    pub password: String,
    pub name: String,
}

/// Whether the demo mission was made now or found.
pub struct Demo {
    pub created: bool,
    pub accounts: Vec<Account>,
    /// The generated observers (`observer-00001`...) and their shared password, when the
    /// mission was made now.
    pub generated_observers: Option<(usize, String)>,
}

/// Opens the demo's database: a new file, or one the demo made. Any other file is refused
/// before it is opened for writing, so that a real mission's database (or any other
/// program's) is left exactly as it was.
pub fn open(path: &Path) -> Result<Store, StoreError> {
    match demo_marker::look(path)? {
        Found::Other => Err(not_a_demo(path)),
        Found::Nothing | Found::Demo => Store::open(path, OpenMode::CreateIfMissing),
    }
}

fn not_a_demo(path: &Path) -> StoreError {
    StoreError::Rejected(
        format!(
            "{} is not a demo database (it was not made by `fieldreport demo`); refusing to change it",
            path.display()
        )
        .into(),
    )
}

/// Creates the demo mission in a database that holds no mission, or finds the one the
/// demo made, and gives every demo account a fresh password (the old ones are only stored
/// hashed, so they cannot be shown again). A database with missions the demo did not make
/// is refused, and nothing in it is changed.
pub fn ensure(store: &Store, size: DemoSize, progress: &dyn Fn(usize)) -> Result<Demo, StoreError> {
    let mut accounts = Vec::new();
    let mut hashed = Vec::new();
    for user in &USERS {
        let password = generate_password().map_err(|e| StoreError::Task(e.to_string()))?;
        hashed.push(hash(&password)?);
        accounts.push(Account {
            role: user.role,
            username: user.username.into(),
            password: password.expose().into(),
            name: user.name.into(),
        });
    }
    let forms = FORMS
        .iter()
        .map(|text| {
            FormDefinition::from_toml(text)
                .map_err(|e| StoreError::Rejected(format!("demo form: {e}").into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shared = generate_password().map_err(|e| StoreError::Task(e.to_string()))?;
    let shared_hash = hash(&shared)?;
    let path = store.path().to_owned();
    let created = store.write_blocking(move |conn| {
        let actor = Actor::command_line();
        let (mission_id, created) = match demo_marker::demo_mission(conn)? {
            Some(mission_id) => {
                reset_passwords(conn, mission_id, &hashed, &actor)?;
                (mission_id, false)
            }
            None if missions::all(conn)?.is_empty() => {
                let mission = create_mission(conn, hashed, size.stations)?;
                add_observers(conn, mission.id, size.observers, &shared_hash)?;
                (mission.id, true)
            }
            None => return Err(not_a_demo(&path)),
        };
        // A demo file made by an older fieldreport gets the current forms (as new versions
        // if they changed); unchanged ones are left alone.
        for form in &forms {
            forms::import(conn, mission_id, form, &actor)?;
        }
        Ok(created)
    })?;
    let mut generated_observers = None;
    if created {
        generate::generate_reports(
            store,
            SLUG,
            generate::Scale {
                reports: size.reports,
                seed: 2017,
            },
            progress,
        )?;
        generated_observers = Some((size.observers, shared.expose().to_owned()));
    }
    Ok(Demo {
        created,
        accounts,
        generated_observers,
    })
}

/// Adds `count` observers, each deployed to a ward in turn, all with one password hash
/// (hashing thousands of passwords would take minutes and show nothing).
fn add_observers(
    conn: &rusqlite::Connection,
    mission_id: i64,
    count: usize,
    password_hash: &str,
) -> Result<(), StoreError> {
    let wards: Vec<(i64, String)> = conn
        .prepare("SELECT id, name FROM regions WHERE mission_id = ?1 AND depth = 3 ORDER BY path")?
        .query_map([mission_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let actor = Actor::command_line();
    for n in 1..=count {
        let username = format!("observer-{n:05}");
        let member = NewMember {
            mission_id,
            username: Username::parse(&username).map_err(|e| StoreError::Rejected(e.0))?,
            display_name: format!("Observer {n}"),
            phone: Some(format!("+254 722 {:03} {:03}", n / 1000, n % 1000)),
            role: Role::Observer,
            password_hash: password_hash.to_owned(),
        };
        let user_id = users::create(conn, &member, &actor)?;
        let (ward, name) = &wards[(n - 1) * wards.len() / count.max(1)];
        users::set_team(
            conn,
            mission_id,
            user_id,
            Some(&format!("{name} STO")),
            &actor,
        )?;
        users::assign(conn, mission_id, user_id, *ward, &actor)?;
    }
    Ok(())
}

/// Gives the demo accounts the passwords about to be printed, and re-enables any that
/// were disabled while trying the demo.
fn reset_passwords(
    conn: &rusqlite::Connection,
    mission_id: i64,
    hashes: &[String],
    actor: &Actor,
) -> Result<(), StoreError> {
    for (user, hash) in USERS.iter().zip(hashes) {
        let Some(credentials) = users::credentials(conn, user.username)? else {
            continue;
        };
        users::set_password(conn, mission_id, credentials.user_id, hash, actor)?;
        if credentials.disabled {
            users::set_disabled(conn, mission_id, credentials.user_id, false, actor)?;
        }
    }
    Ok(())
}

fn hash(password: &NewPassword) -> Result<String, StoreError> {
    hash_password(password).map_err(|e| StoreError::Task(e.to_string()))
}

/// The demo mission, marked in its database as the demo's, with its geography and accounts.
fn create_mission(
    conn: &rusqlite::Connection,
    hashes: Vec<String>,
    stations: usize,
) -> Result<missions::Mission, StoreError> {
    let new = NewMission::parse(
        SLUG,
        "Kenya 2017 General Election",
        "Kenya",
        "2017-08-08",
        "Africa/Nairobi",
    )
    .map_err(|e| StoreError::Rejected(e.0.into()))?;
    let mission = missions::create(conn, &new)?;
    demo_marker::mark(conn, mission.id)?;
    let geography =
        geography(stations).map_err(|e| StoreError::Task(format!("the demo geography: {e}")))?;
    regions::import(conn, mission.id, &geography)?;
    for (user, password_hash) in USERS.iter().zip(hashes) {
        let member = NewMember {
            mission_id: mission.id,
            username: Username::parse(user.username).map_err(|e| StoreError::Rejected(e.0))?,
            display_name: user.name.into(),
            phone: Some(user.phone.into()),
            role: user.role,
            password_hash,
        };
        let user_id = users::create(conn, &member, &Actor::command_line())?;
        if let Some(team) = user.team {
            users::set_team(
                conn,
                mission.id,
                user_id,
                Some(team),
                &Actor::command_line(),
            )?;
        }
        for &(depth, code) in user.assignments {
            let region = regions::by_code(conn, mission.id, depth, code)?;
            users::assign(conn, mission.id, user_id, region.id, &Actor::command_line())?;
        }
    }
    Ok(mission)
}

/// The demo mission's forms: opening, voting, closing-and-counting, incident.
pub const FORMS: [&str; 4] = [
    include_str!("forms/opening.toml"),
    include_str!("forms/voting.toml"),
    include_str!("forms/closing.toml"),
    include_str!("forms/incident.toml"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_forms_are_valid() {
        let keys: Vec<String> = FORMS
            .iter()
            .map(|text| {
                FormDefinition::from_toml(text)
                    .map(|f| f.key)
                    .expect("valid demo form")
            })
            .collect();
        assert_eq!(keys, ["opening", "voting", "closing", "incident"]);
    }

    #[test]
    fn the_embedded_kenya_file_parses_with_kenyas_counts() {
        let scheme =
            ImportScheme::parse(KENYA_LEVELS, StationColumns::default()).expect("the levels");
        let plan = plan_import(&scheme, KENYA_WARDS.as_bytes()).expect("the embedded file");
        assert_eq!(plan.count_at(1), 47);
        assert_eq!(plan.count_at(2), 290);
        assert_eq!(plan.count_at(3), WARDS);
        assert_eq!(plan.regions.len(), 47 + 290 + 1448);
    }

    #[test]
    fn demo_geography_has_kenyas_shape() {
        let plan = geography(40_000).expect("the demo geography");
        assert_eq!(
            plan.levels,
            ["county", "constituency", "ward", "polling_station"]
        );
        assert_eq!(plan.count_at(1), 47);
        assert_eq!(plan.count_at(2), 290);
        assert_eq!(plan.count_at(3), WARDS);
        assert_eq!(plan.count_at(4), 40_000);
        let named = |depth, code: &str| {
            plan.regions
                .iter()
                .find(|r| r.depth == depth && r.code == code)
                .map(|r| r.name.as_str())
        };
        assert_eq!(named(1, "047"), Some("Nairobi"));
        assert_eq!(named(2, "001"), Some("Changamwe"));
        assert_eq!(named(3, "0001"), Some("Port reitz"));
        assert_eq!(named(4, "0001001"), Some("Port reitz Secondary School 1"));
        let wards: std::collections::HashSet<&str> = plan
            .regions
            .iter()
            .filter(|r| r.depth == 3)
            .map(|r| r.code.as_str())
            .collect();
        for station in plan.regions.iter().filter(|r| r.depth == 4) {
            let ward = station.parent_code.as_deref().expect("a ward");
            assert!(wards.contains(ward), "{} is under a ward", station.code);
            assert!(station.code.starts_with(ward) && station.code.len() == ward.len() + 3);
            assert!(station.location.is_some(), "{} is placed", station.code);
            assert!(station.registered_voters.is_some());
        }
        let codes: std::collections::HashSet<_> =
            plan.regions.iter().map(|r| (r.depth, &r.code)).collect();
        assert_eq!(
            codes.len(),
            plan.regions.len(),
            "codes are unique per level"
        );
    }

    #[test]
    fn demo_stations_are_shared_evenly_among_the_wards() {
        let plan = geography(2 * WARDS + 5).expect("the demo geography");
        let mut per_ward: HashMap<&str, usize> = HashMap::new();
        for station in plan.regions.iter().filter(|r| r.depth == 4) {
            *per_ward
                .entry(station.parent_code.as_deref().expect("a ward"))
                .or_default() += 1;
        }
        assert_eq!(per_ward.len(), WARDS);
        assert_eq!(per_ward.values().filter(|&&n| n == 3).count(), 5);
        assert!(per_ward.values().all(|&n| n == 2 || n == 3));
    }

    #[test]
    fn demo_assignments_name_existing_regions() {
        let smallest = DemoSize::new(2 * WARDS, 0).expect("the smallest demo");
        for size in [smallest, DemoSize::default()] {
            let plan = geography(size.stations).expect("the demo geography");
            for user in &USERS {
                for &(depth, code) in user.assignments {
                    let exists = plan
                        .regions
                        .iter()
                        .any(|r| i64::try_from(r.depth).ok() == Some(depth) && r.code == code);
                    assert!(exists, "{} -> {code}", user.username);
                }
            }
        }
    }

    #[test]
    fn ensure_refuses_a_database_whose_mission_the_demo_did_not_make() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Store::open(&dir.path().join("real.db"), OpenMode::CreateIfMissing).expect("open");
        let real = NewMission::parse(SLUG, "Real", "Kenya", "2017-08-08", "Africa/Nairobi")
            .expect("valid");
        store
            .write_blocking(move |conn| missions::create(conn, &real))
            .expect("a real mission");
        let size = DemoSize::new(2 * WARDS, 0).expect("the smallest demo");
        match ensure(&store, size, &|_| {}) {
            Err(StoreError::Rejected(message)) => assert!(
                message.to_string().contains("is not a demo database"),
                "{message}"
            ),
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => panic!("the demo went into a real mission's database"),
        }
        let (users, forms, regions): (i64, i64, i64) = store
            .read_blocking(|conn| {
                Ok(conn.query_row(
                    "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM forms),
                            (SELECT count(*) FROM regions)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .expect("counts");
        assert_eq!((users, forms, regions), (0, 0, 0));
    }

    #[test]
    fn demo_size_takes_two_to_999_stations_a_ward() {
        assert!(DemoSize::new(2 * WARDS, 0).is_ok());
        assert!(DemoSize::new(999 * WARDS, 0).is_ok());
        let refused = DemoSize::new(2 * WARDS - 1, 0).expect_err("too few");
        assert_eq!(
            refused,
            "the demo needs between 2896 and 1446552 polling stations (2 to 999 in each of its 1448 wards)"
        );
        assert_eq!(DemoSize::default().stations, 4_344);
    }
}
