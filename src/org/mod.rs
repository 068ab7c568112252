//! The org as a whole, apart from the objects d360 manages: whether d360 can log in and use
//! Data 360 there ([`check`]), rendered for people ([`render_text`]). Comes after `session`
//! (an org opened) and `kinds` (listing objects); no command-line flag here.

mod check;
mod render;

pub(crate) use check::{CheckReport, check};
pub(crate) use render::render_text;
