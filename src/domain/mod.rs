//! Pure types and rules of the mission, with no I/O: everything here is tested without a
//! database or a web server.

pub mod account;
pub mod geography;
pub mod mission;
pub mod role;
pub mod sign_in;
