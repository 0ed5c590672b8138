//! The demo mission: Kenya's 2017 general election with generated geography and people,
//! built from what is in the binary alone so that a newcomer can run it anywhere.

use crate::credentials::{generate_password, hash_password};
use crate::domain::account::{NewPassword, Username};
use crate::domain::form::FormDefinition;
use crate::domain::geography::{Location, PlannedRegion, RegionPlan};
use crate::domain::mission::NewMission;
use crate::domain::role::Role;
use crate::store::audit::Actor;
use crate::store::users::NewMember;
use crate::store::{Store, StoreError, forms, missions, regions, users};

pub mod generate;

/// The demo mission's slug.
pub const SLUG: &str = "kenya-2017";

/// Kenya's 47 counties with their official codes and their number of constituencies
/// (290 in all). Constituency, ward and polling-station names below are generated.
const COUNTIES: [(&str, &str, usize); 47] = [
    ("001", "Mombasa", 6),
    ("002", "Kwale", 4),
    ("003", "Kilifi", 7),
    ("004", "Tana River", 3),
    ("005", "Lamu", 2),
    ("006", "Taita-Taveta", 4),
    ("007", "Garissa", 6),
    ("008", "Wajir", 6),
    ("009", "Mandera", 6),
    ("010", "Marsabit", 4),
    ("011", "Isiolo", 2),
    ("012", "Meru", 9),
    ("013", "Tharaka-Nithi", 3),
    ("014", "Embu", 4),
    ("015", "Kitui", 8),
    ("016", "Machakos", 8),
    ("017", "Makueni", 6),
    ("018", "Nyandarua", 5),
    ("019", "Nyeri", 6),
    ("020", "Kirinyaga", 4),
    ("021", "Murang'a", 7),
    ("022", "Kiambu", 12),
    ("023", "Turkana", 6),
    ("024", "West Pokot", 4),
    ("025", "Samburu", 3),
    ("026", "Trans Nzoia", 5),
    ("027", "Uasin Gishu", 6),
    ("028", "Elgeyo-Marakwet", 4),
    ("029", "Nandi", 6),
    ("030", "Baringo", 6),
    ("031", "Laikipia", 3),
    ("032", "Nakuru", 11),
    ("033", "Narok", 6),
    ("034", "Kajiado", 5),
    ("035", "Kericho", 6),
    ("036", "Bomet", 5),
    ("037", "Kakamega", 12),
    ("038", "Vihiga", 5),
    ("039", "Bungoma", 9),
    ("040", "Busia", 7),
    ("041", "Siaya", 6),
    ("042", "Kisumu", 7),
    ("043", "Homa Bay", 8),
    ("044", "Migori", 8),
    ("045", "Kisii", 9),
    ("046", "Nyamira", 4),
    ("047", "Nairobi", 17),
];

const CONSTITUENCY_SUFFIXES: [&str; 17] = [
    "Central",
    "North",
    "South",
    "East",
    "West",
    "North East",
    "North West",
    "South East",
    "South West",
    "Town",
    "Rural",
    "Hills",
    "Lake",
    "Valley",
    "Plains",
    "Highlands",
    "River",
];
/// Five wards per constituency gives Kenya's 1,450 wards.
const WARD_NAMES: [&str; 5] = ["Soko", "Mlimani", "Kati", "Bondeni", "Shuleni"];
const STATION_PLACES: [&str; 6] = [
    "Primary School",
    "Secondary School",
    "Social Hall",
    "Chief's Camp",
    "Community Centre",
    "Market Shed",
];

/// Approximate centre (latitude, longitude) and spread in degrees of each county, in the
/// order of `COUNTIES`: enough to place demo polling stations on a recognisable map of
/// Kenya. Not survey data.
const COUNTY_CENTRES: [(f64, f64, f64); 47] = [
    (-4.04, 39.66, 0.06),
    (-4.20, 39.10, 0.35),
    (-3.30, 39.55, 0.45),
    (-1.60, 39.90, 0.90),
    (-2.10, 40.70, 0.40),
    (-3.40, 38.40, 0.50),
    (-0.50, 39.90, 0.90),
    (1.80, 40.10, 1.00),
    (3.50, 40.90, 0.70),
    (2.80, 37.70, 1.10),
    (0.90, 38.70, 0.70),
    (0.10, 37.70, 0.35),
    (-0.30, 37.90, 0.20),
    (-0.60, 37.60, 0.25),
    (-1.50, 38.30, 0.80),
    (-1.40, 37.40, 0.40),
    (-2.00, 37.70, 0.50),
    (-0.40, 36.50, 0.25),
    (-0.40, 36.95, 0.20),
    (-0.55, 37.30, 0.12),
    (-0.80, 37.00, 0.20),
    (-1.00, 36.80, 0.25),
    (3.30, 35.60, 1.20),
    (1.60, 35.30, 0.45),
    (1.30, 37.10, 0.60),
    (1.00, 34.95, 0.18),
    (0.50, 35.30, 0.25),
    (0.80, 35.50, 0.25),
    (0.20, 35.10, 0.22),
    (0.70, 35.90, 0.45),
    (0.30, 36.80, 0.45),
    (-0.40, 36.00, 0.45),
    (-1.30, 35.60, 0.65),
    (-2.10, 36.80, 0.70),
    (-0.40, 35.30, 0.20),
    (-0.80, 35.30, 0.20),
    (0.30, 34.80, 0.20),
    (0.07, 34.70, 0.06),
    (0.70, 34.60, 0.20),
    (0.40, 34.20, 0.15),
    (0.10, 34.30, 0.20),
    (-0.10, 34.80, 0.20),
    (-0.60, 34.50, 0.25),
    (-1.00, 34.40, 0.25),
    (-0.70, 34.80, 0.10),
    (-0.60, 34.95, 0.08),
    (-1.29, 36.82, 0.08),
];

/// A demo station's place: spread around its county's centre by a stable hash of its
/// number, evenly over a disc.
fn station_location(county: usize, station_no: usize) -> Location {
    let (lat, lon, spread) = COUNTY_CENTRES[county];
    let mut dice = generate::Dice::new(station_no as u64);
    let angle = dice.below(3600) as f64 / 3600.0 * std::f64::consts::TAU;
    let distance = spread * (dice.below(1000) as f64 / 1000.0).sqrt();
    Location {
        latitude: lat + distance * angle.sin(),
        longitude: lon + distance * angle.cos(),
    }
}

/// Wards in the demo geography, as in Kenya.
pub const WARDS: usize = 1450;

/// Builds the demo geography: 47 counties, 290 constituencies, 1,450 wards and `stations`
/// polling stations shared among the wards as evenly as can be, with registered voters
/// and (approximate) coordinates.
pub fn geography(stations: usize) -> RegionPlan {
    let mut regions = Vec::new();
    let region =
        |depth, code: String, name: String, parent: Option<String>, voters| PlannedRegion {
            depth,
            code,
            name,
            parent_code: parent,
            line: 0,
            registered_voters: voters,
            location: None,
        };
    let (mut constituency_no, mut ward_no, mut station_no) = (0, 0, 0);
    for (county_no, (county_code, county, constituencies)) in COUNTIES.into_iter().enumerate() {
        regions.push(region(1, county_code.into(), county.into(), None, None));
        for suffix in &CONSTITUENCY_SUFFIXES[..constituencies] {
            constituency_no += 1;
            let constituency_code = format!("{constituency_no:03}");
            let constituency = format!("{county} {suffix}");
            regions.push(region(
                2,
                constituency_code.clone(),
                constituency.clone(),
                Some(county_code.into()),
                None,
            ));
            for ward in WARD_NAMES {
                ward_no += 1;
                let ward_code = format!("{ward_no:04}");
                let ward_name = format!("{constituency} {ward}");
                regions.push(region(
                    3,
                    ward_code.clone(),
                    ward_name.clone(),
                    Some(constituency_code.clone()),
                    None,
                ));
                let in_ward = stations / WARDS + usize::from(ward_no <= stations % WARDS);
                for n in 0..in_ward {
                    let place = STATION_PLACES[(ward_no + n) % STATION_PLACES.len()];
                    let voters = registered_voters(ward_no, n);
                    station_no += 1;
                    regions.push(PlannedRegion {
                        location: Some(station_location(county_no, station_no)),
                        ..region(
                            4,
                            format!("{ward_code}{:03}", n + 1),
                            format!("{ward} {place} {}", n + 1),
                            Some(ward_code.clone()),
                            Some(voters),
                        )
                    });
                }
            }
        }
    }
    regions.sort_by_key(|r| r.depth);
    RegionPlan {
        levels: ["county", "constituency", "ward", "polling_station"]
            .map(String::from)
            .to_vec(),
        regions,
    }
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
    // constituency or a county.
    DemoUser {
        username: "observer1",
        name: "Achieng Otieno",
        role: Role::Observer,
        phone: "+254 711 000 101",
        team: Some("Coast STO team 1"),
        assignments: &[(3, "0001")],
    },
    DemoUser {
        username: "observer2",
        name: "Wanjiru Kamau",
        role: Role::Observer,
        phone: "+254 711 000 102",
        team: Some("Nairobi STO team 4"),
        assignments: &[(3, "1436")],
    },
    DemoUser {
        username: "observer3",
        name: "Hassan Abdi",
        role: Role::Observer,
        phone: "+254 711 000 103",
        team: Some("Nyanza LTO team 2"),
        assignments: &[(2, "245")],
    },
    DemoUser {
        username: "observer4",
        name: "Ekai Lokwang",
        role: Role::Observer,
        phone: "+254 711 000 104",
        team: Some("Rift Valley LTO team 1"),
        assignments: &[(1, "023")],
    },
    DemoUser {
        username: "observer5",
        name: "Mutua Musyoka",
        role: Role::Observer,
        phone: "+254 711 000 105",
        team: Some("Coast STO team 1"),
        assignments: &[(4, "0901001"), (4, "0901002")],
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
            stations: 4_350,
            reports: 2_000,
            observers: 435,
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

/// Creates the demo mission if the database has none, and gives every demo account a
/// fresh password (the old ones are only stored hashed, so they cannot be shown again).
pub fn ensure(store: &Store, size: DemoSize, progress: &dyn Fn(usize)) -> Result<Demo, StoreError> {
    let existing = store.read_blocking(|conn| missions::find(conn, SLUG))?;
    let created = existing.is_none();
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
    store.write_blocking(move |conn| {
        let actor = Actor::command_line();
        let mission = match missions::find(conn, SLUG)? {
            None => {
                let mission = create_mission(conn, hashed, size.stations)?;
                add_observers(conn, mission.id, size.observers, &shared_hash)?;
                mission
            }
            Some(mission) => {
                reset_passwords(conn, mission.id, &hashed, &actor)?;
                mission
            }
        };
        // A demo file made by an older fieldreport gets the current forms (as new versions
        // if they changed); unchanged ones are left alone.
        for form in &forms {
            forms::import(conn, mission.id, form, &actor)?;
        }
        Ok(())
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
    regions::import(conn, mission.id, &geography(stations))?;
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
    fn demo_geography_has_kenyas_shape() {
        let plan = geography(40_000);
        assert_eq!(plan.count_at(1), 47);
        assert_eq!(plan.count_at(2), 290);
        assert_eq!(plan.count_at(3), 1450);
        assert_eq!(plan.count_at(4), 40_000);
        assert!(
            plan.regions
                .iter()
                .filter(|r| r.depth == 4)
                .all(|r| r.location.is_some())
        );
        let codes: std::collections::HashSet<_> =
            plan.regions.iter().map(|r| (r.depth, &r.code)).collect();
        assert_eq!(
            codes.len(),
            plan.regions.len(),
            "codes are unique per level"
        );
    }

    #[test]
    fn demo_assignments_name_existing_regions() {
        let plan = geography(DemoSize::default().stations);
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
