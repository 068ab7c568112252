//! Checking data stream bodies as the org does: the data lake object (name ending `__dll`,
//! category, field types, one primary key, named fields that exist, known data spaces), the
//! refresh mode and frequency, the stream type; and turning input shapes into the output ones
//! the spec names differently (`sourceFieldLabel` to `sourceFieldName`, `transformationFormula`
//! to `formula`, `dataType` to `datatype`, a frequency list to one object, `CONNECTORSFRAMEWORK`
//! to `ConnectorFramework`). No storage here.

use super::names::check_api_name;
use super::responses::Reject;
use d360_wire::shapes::{
    DloFieldOutput, DloInput, DloOutput, Mapping, MappingOutput, RefreshConfig, RefreshConfigOutput, SourceFieldOutput,
    SourceFieldWire,
};
use d360_wire::values::{FieldType, RefreshMode, Reported};

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

/// `DataStreamFrequencyInputRepresentation.frequencyType`; matched without regard to case (the
/// spec's own examples send `HOURLY`, `WEEKLY`). `Transform` is input only.
const FREQUENCY_TYPES: [&str; 8] = [
    "Daily",
    "Hourly",
    "Minutely",
    "Monthly",
    "MonthlyRelative",
    "Weekly",
    "None",
    "Transform",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// `DataStreamDetailedRepresentation.dataStreamType`.
const STREAM_TYPES: [&str; 24] = [
    "AccountEngagement",
    "Azure_Blob",
    "Commerce_Bundle",
    "Commerce_Data_Kit",
    "ConnectorFramework",
    "Cs",
    "Events",
    "Events_Package",
    "External",
    "FileUpload",
    "Google_Cloud_Storage",
    "IngestAPI",
    "IngestAPI_Package",
    "Mc",
    "Mcde",
    "Mcis",
    "Package",
    "PackageNDataKit",
    "S3",
    "S3_Arn",
    "Sfdc",
    "Sfdc_Bundle",
    "Sfdc_Package_Kit",
    "Sftp",
];

fn canonical<'a>(value: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed.iter().copied().find(|known| known.eq_ignore_ascii_case(value))
}

/// Checks the refresh mode and frequency, and puts their values in the spec's casing.
pub(crate) fn check_refresh(stream_refresh: Option<&mut RefreshConfig>) -> Result<(), Reject> {
    let Some(refresh) = stream_refresh else {
        return Ok(());
    };
    if !refresh.refresh_mode.is_empty() {
        refresh.refresh_mode = canonical(refresh.refresh_mode.as_str(), &REFRESH_MODES)
            .map(Reported::read)
            .ok_or_else(|| {
                Reject::invalid_input(format!(
                    "Invalid refreshMode {}: use one of {}",
                    refresh.refresh_mode,
                    REFRESH_MODES.join(", ")
                ))
            })?;
    }
    if let Some(frequency) = &mut refresh.frequency {
        frequency.frequency_type = canonical(frequency.frequency_type.as_str(), &FREQUENCY_TYPES)
            .map(Reported::read)
            .ok_or_else(|| {
                Reject::invalid_input(format!(
                    "Invalid frequencyType {}: use one of {}",
                    frequency.frequency_type,
                    FREQUENCY_TYPES.join(", ")
                ))
            })?;
        if let Some(day) = &mut frequency.refresh_day_of_week {
            *day = canonical(day.as_str(), &DAYS)
                .map(Reported::read)
                .ok_or_else(|| Reject::invalid_input(format!("Invalid refreshDayOfWeek {day}")))?;
        }
        if let Some(hour) = frequency.hours.iter().find(|hour| **hour > 23) {
            return Err(Reject::invalid_input(format!("Invalid hour {hour}: use 0 to 23")));
        }
        if let Some(day) = frequency
            .refresh_day_of_month
            .iter()
            .find(|day| !(1..=31).contains(*day))
        {
            return Err(Reject::invalid_input(format!(
                "Invalid refreshDayOfMonth {day}: use 1 to 31"
            )));
        }
    }
    Ok(())
}

/// The output `dataStreamType` of a create body's `datastreamType` (`CONNECTORSFRAMEWORK`,
/// `SFDC_BUNDLE`, `INGESTAPI`, ...).
pub(crate) fn stream_type(input: &str) -> Result<String, Reject> {
    let folded = |text: &str| text.replace('_', "").to_ascii_lowercase();
    let wanted = match folded(input).as_str() {
        "connectorsframework" => "connectorframework".to_owned(),
        other => other.to_owned(),
    };
    STREAM_TYPES
        .iter()
        .find(|known| folded(known) == wanted)
        .map(|known| (*known).to_owned())
        .ok_or_else(|| Reject::invalid_input(format!("Invalid datastreamType {input}")))
}

/// A create body's refresh configuration as a GET answers it (a frequency without a type is
/// none; the mode defaults to `UPSERT`, as the org does for connector streams).
pub(crate) fn refresh_output(input: &RefreshConfig) -> RefreshConfigOutput {
    RefreshConfigOutput {
        refresh_mode: if input.refresh_mode.is_empty() {
            Reported::Known(RefreshMode::UPSERT)
        } else {
            input.refresh_mode.clone()
        },
        frequency: input.frequency.clone(),
        should_fetch_immediately: Some(false),
        is_acceleration_enabled: Some(input.is_acceleration_enabled.unwrap_or(false)),
    }
}

/// Source fields as a GET answers them: `datatype`, limited to the output's four types.
pub(crate) fn source_fields_output(fields: &[SourceFieldWire]) -> Vec<SourceFieldOutput> {
    fields
        .iter()
        .map(|field| SourceFieldOutput {
            name: field.name.clone(),
            data_type: Reported::Known(match field.data_type.as_str().to_ascii_lowercase().as_str() {
                "number" | "percent" | "currency" => FieldType::Number,
                "date" => FieldType::Date,
                "datetime" => FieldType::DateTime,
                _ => FieldType::Text,
            }),
            format: field.format.clone(),
        })
        .collect()
}

/// Mappings as a GET answers them: `sourceFieldName`, `targetFieldName`, `formula`.
pub(crate) fn mappings_output(mappings: &[Mapping]) -> Vec<MappingOutput> {
    mappings
        .iter()
        .map(|mapping| MappingOutput {
            source_field_name: (!mapping.source_field_label.is_empty()).then(|| mapping.source_field_label.clone()),
            target_field_name: mapping.target_field_name.clone(),
            formula: mapping.transformation_formula.clone(),
        })
        .collect()
}
