//! The demo mission: Kenya's 2017 general election with generated geography and people,
//! built from what is in the binary alone so that a newcomer can run it anywhere.

use crate::credentials::{generate_password, hash_password};
use crate::domain::account::{NewPassword, Username};
use crate::domain::form::FormDefinition;
use crate::domain::geography::{PlannedRegion, RegionPlan};
use crate::domain::mission::NewMission;
use crate::domain::role::Role;
use crate::store::audit::Actor;
use crate::store::users::NewMember;
use crate::store::{Store, StoreError, forms, missions, regions, users};

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

/// Builds the demo geography: 47 counties, 290 constituencies, 1,450 wards and
/// `stations_per_ward` polling stations in each ward, with registered voters.
pub fn geography(stations_per_ward: usize) -> RegionPlan {
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
    let (mut constituency_no, mut ward_no) = (0, 0);
    for (county_code, county, constituencies) in COUNTIES {
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
                for n in 0..stations_per_ward {
                    let place = STATION_PLACES[(ward_no + n) % STATION_PLACES.len()];
                    let voters = registered_voters(ward_no, n);
                    regions.push(region(
                        4,
                        format!("{ward_code}{:03}", n + 1),
                        format!("{ward} {place} {}", n + 1),
                        Some(ward_code.clone()),
                        Some(voters),
                    ));
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

/// Polling stations per ward in the demo.
pub const STATIONS_PER_WARD: usize = 3;

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
}

/// Creates the demo mission if the database has none, and gives every demo account a
/// fresh password (the old ones are only stored hashed, so they cannot be shown again).
pub fn ensure(store: &Store) -> Result<Demo, StoreError> {
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
                .map_err(|e| StoreError::Rejected(format!("demo form: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    store.write_blocking(move |conn| {
        let actor = Actor::command_line();
        let mission = match missions::find(conn, SLUG)? {
            None => create_mission(conn, hashed)?,
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
    Ok(Demo { created, accounts })
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
) -> Result<missions::Mission, StoreError> {
    let new = NewMission::parse(
        SLUG,
        "Kenya 2017 General Election",
        "Kenya",
        "2017-08-08",
        "Africa/Nairobi",
    )
    .map_err(|e| StoreError::Rejected(e.0))?;
    let mission = missions::create(conn, &new)?;
    regions::import(conn, mission.id, &geography(STATIONS_PER_WARD))?;
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
        let plan = geography(STATIONS_PER_WARD);
        assert_eq!(plan.count_at(1), 47);
        assert_eq!(plan.count_at(2), 290);
        assert_eq!(plan.count_at(3), 1450);
        assert_eq!(plan.count_at(4), 1450 * STATIONS_PER_WARD);
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
        let plan = geography(STATIONS_PER_WARD);
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
