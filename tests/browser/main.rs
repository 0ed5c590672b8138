//! The tests that drive a real browser (Debian's chromium), in one program of their own:
//! they need chromium installed, and each runs for seconds.

#[path = "../chromium/mod.rs"]
mod chromium;
#[path = "../common/mod.rs"]
mod common;

mod browser_dashboard;
mod browser_lead_downloads_an_export;
mod browser_observer_files_voting;
mod browser_offline_outbox;
mod browser_planted_report_is_refused;
mod browser_review_to_statement;
mod browser_slow_network;
