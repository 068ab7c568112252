//! Checking data stream bodies as the org does: the data lake object (name ending `__dll`,
//! category, field types, one primary key, named fields that exist, known data spaces) and
//! the refresh mode, and turning the DLO input into its output shape. No storage here.

use super::names::check_api_name;
use super::responses::Reject;
use d360_wire::shapes::{DloFieldOutput, DloInput, DloOutput};

const CATEGORIES: [&str; 5] = ["Profile", "Engagement", "Other", "Directory_Table", "Insights"];
const DATA_TYPES: [&str; 10] = [
    "Text", "Number", "Date", "DateTime", "Boolean", "Email", "Phone", "Url", "Percent", "Currency",
];
const REFRESH_MODES: [&str; 6] = [
    "UPSERT",
    "TOTAL_REPLACE",
    "INCREMENTAL",
    "REPLACE",
    "NEAR_REAL_TIME_INCREMENTAL",
    "PARTIAL_UPDATE",
];

/// Checks one DLO definition as the org does on create and patch.
pub(crate) fn check_dlo(dlo: &DloInput, dataspaces: &[String]) -> Result<(), Reject> {
    let base = dlo.name.strip_suffix("__dll").ok_or_else(|| {
        Reject::invalid_input(format!(
            "The data lake object API name {} must end with __dll",
            dlo.name
        ))
    })?;
    check_api_name(base, "data lake object")?;
    if !CATEGORIES.contains(&dlo.category.as_str()) {
        return Err(Reject::invalid_input(format!(
            "Invalid category {}: use one of {}",
            dlo.category,
            CATEGORIES.join(", ")
        )));
    }
    if dlo.category == "Engagement" && dlo.event_date_time_field_name.is_none() {
        return Err(Reject::invalid_input(
            "eventDateTimeFieldName is required for an Engagement data lake object",
        ));
    }
    if let Some(field) = dlo
        .data_lake_field_input_representations
        .iter()
        .find(|f| !DATA_TYPES.contains(&f.data_type.as_str()))
    {
        return Err(Reject::invalid_input(format!(
            "Invalid dataType {} for field {}",
            field.data_type, field.name
        )));
    }
    let keys = dlo
        .data_lake_field_input_representations
        .iter()
        .filter(|f| f.is_primary_key)
        .count();
    if keys != 1 {
        return Err(Reject::invalid_input(format!(
            "A data lake object needs exactly one primary key field; found {keys}"
        )));
    }
    if dlo.dataspace_info.is_empty() {
        return Err(Reject::invalid_input("dataspaceInfo is required"));
    }
    if let Some(unknown) = dlo
        .dataspace_info
        .iter()
        .find(|space| !dataspaces.contains(&space.name))
    {
        return Err(Reject::invalid_input(format!(
            "The data space {} doesn't exist",
            unknown.name
        )));
    }
    let fields = &dlo.data_lake_field_input_representations;
    let mut seen = std::collections::HashSet::new();
    if let Some(field) = fields
        .iter()
        .find(|f| f.name.is_empty() || !seen.insert(f.name.as_str()))
    {
        return Err(Reject::invalid_input(format!(
            "Each field needs a unique, non-empty name; found {:?}",
            field.name
        )));
    }
    for (what, named) in [
        ("eventDateTimeFieldName", &dlo.event_date_time_field_name),
        ("recordModifiedFieldName", &dlo.record_modified_field_name),
    ] {
        if let Some(name) = named
            && !fields.iter().any(|f| &f.name == name)
        {
            return Err(Reject::invalid_input(format!(
                "{what} names the field {name}, which the data lake object lacks"
            )));
        }
    }
    Ok(())
}

pub(crate) fn dlo_output(dlo: &DloInput) -> DloOutput {
    DloOutput {
        name: dlo.name.clone(),
        label: dlo.label.clone(),
        category: dlo.category.clone(),
        data_lake_field_info_representation: dlo
            .data_lake_field_input_representations
            .iter()
            .map(|f| DloFieldOutput {
                name: f.name.clone(),
                label: f.label.clone(),
                data_type: f.data_type.clone(),
                is_primary_key: f.is_primary_key,
            })
            .collect(),
        data_space_info: dlo.dataspace_info.clone(),
        status: Some("Active".to_owned()),
        record_modified_field_name: dlo.record_modified_field_name.clone(),
        event_date_time_field_name: dlo.event_date_time_field_name.clone(),
    }
}

pub(crate) fn check_refresh(stream_refresh: Option<&d360_wire::shapes::RefreshConfig>) -> Result<(), Reject> {
    match stream_refresh {
        Some(refresh) if !REFRESH_MODES.contains(&refresh.refresh_mode.as_str()) => {
            Err(Reject::invalid_input(format!(
                "Invalid refreshMode {}: use one of {}",
                refresh.refresh_mode,
                REFRESH_MODES.join(", ")
            )))
        }
        _ => Ok(()),
    }
}
