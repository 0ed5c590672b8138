//! Every test of the app that needs no browser, in one program: each file here was once a
//! program of its own, and linking the crate into each took most of the build.

#[path = "../common/mod.rs"]
mod common;

mod admin_manages_people;
mod command_line;
mod csrf;
mod dashboard;
mod dashboard_observers;
mod dashboard_tallies;
mod errors_and_headers;
mod exports;
mod findings_and_statement;
mod forms_as_data;
mod languages;
mod login_throttle;
mod malformed_input_never_breaks_the_server;
mod observer_files_reports;
mod outbox_protocol;
mod page_weight;
mod planted_reports_are_refused;
mod region_import;
mod review_queue;
mod role_access;
mod search_text;
mod server_over_http;
mod sign_in;
mod slow_and_idle_connections;
mod test_client;
