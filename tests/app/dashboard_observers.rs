//! The dashboard's observers (active, silent, deployed) follow every filing and every
//! change to the team, whoever makes it: the server's own writes and another process's.

use crate::common;

use common::{TestApp, add_user};
use fieldreport::domain::role::Role;
use fieldreport::store::{OpenMode, Store, missions};

use super::dashboard::{file, text, voting};

const DASHBOARD: &str = "/m/test-2017/overview";

/// The team line of the page as an independent count in SQL says it should read.
async fn team_line(app: &TestApp) -> String {
    let mission = app.mission_id;
    let team = app
        .store
        .read(move |conn| missions::team(conn, mission))
        .await
        .expect("team");
    let observers = team
        .by_role
        .iter()
        .find(|(role, _)| *role == Role::Observer)
        .map_or(0, |(_, n)| *n);
    format!(
        "{} of {observers} observers have an assignment.",
        team.observers_assigned
    )
}

#[tokio::test]
async fn active_and_silent_observers_follow_each_filing() {
    let app = TestApp::new().await;
    let mut lead = app.signed_in("lead").await;
    let mut observer = app.signed_in("observer").await;
    let silent = format!("{DASHBOARD}?silent=1");
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("0 observers active in the last hour"), "{t}");
    assert!(t.contains("Observers with no report for 1 hour: 2"), "{t}");
    assert!(
        t.contains("observer name") && t.contains("observer2 name"),
        "{t}"
    );

    let station = app.region_id(4, "0001001").await;
    file(&app, &mut observer, "voting", station, &voting("yes")).await;
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("1 observer active in the last hour"), "{t}");
    assert!(t.contains("Observers with no report for 1 hour: 1"), "{t}");
    assert!(!t.contains("observer name"), "{t}");

    // Their reports made two hours old: silent again, listed with both.
    file(&app, &mut observer, "voting", station, &voting("no")).await;
    app.execute(
        "UPDATE reports SET received_at = received_at - 7200
         WHERE observer_id = (SELECT id FROM users WHERE username = 'observer')",
    )
    .await;
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("0 observers active in the last hour"), "{t}");
    assert!(t.contains("Observers with no report for 1 hour: 2"), "{t}");
    // Never filed comes before filed two hours ago.
    let (never, filed) = (
        t.find("observer2 name").expect("observer2 listed"),
        t.find("observer name").expect("observer listed"),
    );
    assert!(never < filed, "{t}");
    assert!(
        t[filed..].contains(" 2 "),
        "their two reports are counted: {t}"
    );

    // A report from another station: a twin of none of theirs.
    let another = app.region_id(4, "0006001").await;
    file(&app, &mut observer, "voting", another, &voting("yes")).await;
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("1 observer active in the last hour"), "{t}");
    assert!(t.contains("Observers with no report for 1 hour: 1"), "{t}");
}

#[tokio::test]
async fn the_team_follows_new_assigned_disabled_and_renamed_observers() {
    let app = TestApp::new().await;
    let mut lead = app.signed_in("lead").await;
    let silent = format!("{DASHBOARD}?silent=1");
    let nairobi = format!(
        "{DASHBOARD}?silent=1&region={}",
        app.region_id(1, "047").await
    );
    let mombasa = format!(
        "{DASHBOARD}?silent=1&region={}",
        app.region_id(1, "001").await
    );
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("0 of 2 observers have an assignment."), "{t}");
    assert!(t.contains(&team_line(&app).await), "{t}");

    add_user(&app.store, app.mission_id, "observer3", Role::Observer).await;
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("0 of 3 observers have an assignment."), "{t}");
    assert!(t.contains("Observers with no report for 1 hour: 3"), "{t}");
    assert!(t.contains("observer3 name"), "{t}");
    let t = text(&lead.get(&nairobi).await);
    assert!(t.contains("Observers with no report for 1 hour: 0"), "{t}");

    // Deployed to a polling station in Nairobi: counted there, not in Mombasa.
    app.assign("observer3", 4, "1427001").await;
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("1 of 3 observers have an assignment."), "{t}");
    assert!(t.contains(&team_line(&app).await), "{t}");
    let t = text(&lead.get(&nairobi).await);
    assert!(t.contains("Observers with no report for 1 hour: 1"), "{t}");
    assert!(t.contains("observer3 name"), "{t}");
    let t = text(&lead.get(&mombasa).await);
    assert!(t.contains("Observers with no report for 1 hour: 0"), "{t}");

    // Renamed by another process (the command line beside the server): the silent, who
    // all never filed, are listed by their new names.
    let other = Store::open(&app.db_path(), OpenMode::MustExist).expect("open");
    other
        .write(|conn| {
            Ok(conn.execute(
                "UPDATE users SET display_name = 'Aardvark' WHERE username = 'observer3'",
                [],
            )?)
        })
        .await
        .expect("rename");
    let t = text(&lead.get(&silent).await);
    let (first, second) = (
        t.find("Aardvark").expect("renamed listed"),
        t.find("observer name").expect("observer listed"),
    );
    assert!(first < second, "{t}");

    // Disabled: counted nowhere.
    let mission = app.mission_id;
    let user = app.user_id("observer3").await;
    app.store
        .write(move |conn| {
            fieldreport::store::users::set_disabled(
                conn,
                mission,
                user,
                true,
                &fieldreport::store::audit::Actor::command_line(),
            )
        })
        .await
        .expect("disable");
    let t = text(&lead.get(&silent).await);
    assert!(t.contains("0 of 2 observers have an assignment."), "{t}");
    assert!(t.contains("Observers with no report for 1 hour: 2"), "{t}");
    assert!(!t.contains("Aardvark"), "{t}");
    assert!(t.contains(&team_line(&app).await), "{t}");
    let t = text(&lead.get(&nairobi).await);
    assert!(t.contains("Observers with no report for 1 hour: 0"), "{t}");
}
