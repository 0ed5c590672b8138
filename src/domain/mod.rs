//! Pure types and rules of the mission, with no I/O: everything here is tested without a
//! database or a web server.

pub mod account;
pub mod answers;
pub mod audit;
pub mod dashboard;
pub mod export;
pub mod facts;
pub mod finding;
pub mod form;
pub mod form_body;
pub mod geography;
pub mod lookup;
pub mod markdown;
pub mod message;
pub mod mission;
pub mod offline;
pub mod queue;
pub mod queue_search;
pub mod region_path;
pub mod report;
pub mod review;
pub mod role;
pub mod roster;
pub mod sign_in;
pub mod submission;
pub mod text;
