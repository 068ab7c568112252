//! Manifests for tests: a fleet of AWS RDS connections from a CSV inventory.

use super::support::Work;

/// Writes `manifests/fleet.yaml` and its inventory with `count` connections `Fleet_0001`….
pub(crate) fn write_fleet(work: &Work, count: usize, label_prefix: &str) {
    write_fleet_on(work, count, label_prefix, "fleet");
}

/// [`write_fleet`] with the connections' `DATABASE` parameter set to `database`.
pub(crate) fn write_fleet_on(work: &Work, count: usize, label_prefix: &str, database: &str) {
    let mut csv = String::from("key,host\n");
    for index in 1..=count {
        csv.push_str(&format!("{index:04},db{index}.example.internal\n"));
    }
    work.write("manifests/inventory/fleet.csv", &csv);
    work.write(
        "manifests/fleet.yaml",
        &format!(
            r#"apiVersion: d360/v1
kind: ConnectionSet
metadata: {{ name: fleet }}
spec:
  items: {{ fromCsv: inventory/fleet.csv }}
  template:
    metadata: {{ name: "Fleet_${{item.key}}" }}
    spec:
      connectorType: AwsRdsMySql
      label: "{label_prefix} ${{item.key}}"
      parameters:
        jdbc_connection_url: "jdbc:mysql://${{item.host}}:3306"
        DATABASE: {database}
      credentials:
        user: {{ fromEnv: RDS_USER }}
        password: {{ fromEnv: RDS_PASSWORD }}
"#
        ),
    );
}

/// One connection with the given label, parameter and connector type.
pub(crate) fn write_connection(
    work: &Work,
    name: &str,
    connector_type: &str,
    label: &str,
    database: &str,
    extra: &str,
) {
    work.write(
        &format!("manifests/{name}.yaml"),
        &format!(
            r"apiVersion: d360/v1
kind: Connection
metadata: {{ name: {name} }}
spec:
  connectorType: {connector_type}
  label: {label}
  parameters:
    jdbc_connection_url: jdbc:mysql://db.example.internal:3306
    DATABASE: {database}
  credentials:
    user: {{ fromEnv: RDS_USER }}
    password: {{ fromEnv: RDS_PASSWORD }}
{extra}"
        ),
    );
}

/// A data stream on `connection`.
pub(crate) fn write_stream(work: &Work, name: &str, connection: &str, label: &str) {
    work.write(
        &format!("manifests/{name}.yaml"),
        &format!(
            r"apiVersion: d360/v1
kind: DataStream
metadata: {{ name: {name} }}
spec:
  label: {label}
  connection: {connection}
  source: {{ database: clinic, object: patients }}
  dataLakeObject: {{ category: Profile, primaryKey: patient_id, dataspace: default }}
  fields:
    - {{ name: patient_id, type: Text }}
    - {{ name: full_name, type: Text }}
"
        ),
    );
}
