//! API names and labels as the org checks them on create: the developer-name rules of
//! reference section 8 (through [`d360_wire::ApiName`]) and the 80-character label limit,
//! with Salesforce's wording.

use super::responses::Reject;
use d360_wire::{ApiName, NameError};

/// The longest label the org takes.
pub(crate) const MAX_LABEL: usize = 80;

/// Refuses an invalid API name; `what` names the object ("connection", "data stream").
pub(crate) fn check_api_name(name: &str, what: &str) -> Result<(), Reject> {
    match ApiName::parse(name) {
        Ok(_) => Ok(()),
        Err(NameError::TooLong(length)) => Err(Reject::invalid_input(format!(
            "The {what} API name can't be longer than {} characters; {name} has {length}",
            ApiName::MAX_LEN
        ))),
        Err(_) => Err(Reject::invalid_input(format!(
            "The {what} API name {name} is invalid. The API name can only contain underscores and \
             alphanumeric characters. It must begin with a letter, not include spaces, not end \
             with an underscore, and not contain two consecutive underscores."
        ))),
    }
}

/// Refuses an empty or too long label.
pub(crate) fn check_label(label: &str, what: &str) -> Result<(), Reject> {
    if label.trim().is_empty() {
        return Err(Reject::invalid_input(format!("The {what} label can't be empty")));
    }
    let length = label.chars().count();
    if length > MAX_LABEL {
        return Err(Reject::invalid_input(format!(
            "The {what} label can't be longer than {MAX_LABEL} characters; it has {length}"
        )));
    }
    Ok(())
}

/// The API name the org derives from a label when a create omits `name`.
pub(crate) fn name_from_label(label: &str, what: &str) -> Result<String, Reject> {
    let name = ApiName::suggest(label);
    if name.is_empty() {
        return Err(Reject::invalid_input(format!(
            "No {what} API name can be derived from the label {label}; provide a name"
        )));
    }
    Ok(name)
}
