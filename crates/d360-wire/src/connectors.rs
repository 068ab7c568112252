//! The one table of connector types whose parameters d360 knows offline.
//!
//! Manifest validation checks required parameters and credentials against it, and the
//! emulator serves `/ssot/connectors/{type}` metadata from it, so the two can never disagree.
//! Types not in the table are accepted offline with any parameter names; `plan` checks them
//! against the org's own connector metadata.

use crate::values::Method;

/// One parameter or credential a connector type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    /// Credentials are write-only: never read back.
    pub secret: bool,
    pub example: &'static str,
    /// A regular expression the value must contain a match of (as JSON Schema's `pattern`:
    /// unanchored unless it says `^...$`), as the connector metadata gives it.
    pub pattern: Option<&'static str>,
    /// The longest value the org takes, in characters.
    pub max_length: Option<u32>,
}

/// A connector type d360 knows offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectorType {
    /// The API token, cased as the org expects it.
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    /// The directions it supports; the first is the one the org gives a body without `method`.
    pub methods: &'static [Method],
    /// Parameters (sent as `parameters`, read back as `params`).
    pub parameters: &'static [Attribute],
    /// Credentials (sent as `credentials`, read back masked).
    pub credentials: &'static [Attribute],
}

impl ConnectorType {
    pub fn required_parameters(&self) -> impl Iterator<Item = &'static str> {
        self.parameters.iter().filter(|a| a.required).map(|a| a.name)
    }

    pub fn required_credentials(&self) -> impl Iterator<Item = &'static str> {
        self.credentials.iter().filter(|a| a.required).map(|a| a.name)
    }

    /// The supported methods, spelled and joined with `separator` (for messages).
    #[must_use]
    pub fn methods_joined(&self, separator: &str) -> String {
        self.methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(separator)
    }
}

/// The credentials of the AWS RDS family: `username` for PostgreSQL and SQL Server (the spec's
/// examples), lengths from the spec's `AwsRdsSqlServer` metadata.
const RDS_CREDENTIALS: &[Attribute] = &[
    Attribute {
        name: "username",
        label: "Username",
        required: true,
        secret: true,
        example: "",
        pattern: None,
        max_length: Some(100),
    },
    Attribute {
        name: "password",
        label: "Password",
        required: true,
        secret: true,
        example: "",
        pattern: None,
        max_length: Some(128),
    },
];

/// `DATABASE` as the spec's `AwsRdsSqlServer` metadata gives it (the other RDS types are
/// assumed to match; the org's own metadata wins at plan time).
const RDS_DATABASE: Attribute = Attribute {
    name: "DATABASE",
    label: "Database",
    required: true,
    secret: false,
    example: "clinic",
    pattern: Some("^[a-zA-Z0-9-_]+$"),
    max_length: Some(128),
};

/// Connector types with fully known attributes: AWS RDS MySQL as the reference's walkthrough
/// gives it (credential `user`), PostgreSQL and SQL Server as the spec's examples do
/// (credential `username`; the SQL Server metadata example is the source of the patterns and
/// lengths). `plan` checks every declared connection against the org's own metadata too, and
/// the org wins where they differ.
pub const KNOWN: &[ConnectorType] = &[
    ConnectorType {
        name: "AwsRdsMySql",
        label: "Amazon RDS for MySQL",
        description: "Ingest data from an Amazon RDS for MySQL database.",
        methods: &[Method::Ingress],
        parameters: &[
            Attribute {
                name: "jdbc_connection_url",
                label: "JDBC Connection URL",
                required: true,
                secret: false,
                example: "jdbc:mysql://host:3306",
                pattern: Some("^jdbc:mysql://[^/:?;\\s]+(:[0-9]{1,5})?([/?;].*)?$"),
                max_length: Some(1000),
            },
            RDS_DATABASE,
        ],
        credentials: &[
            Attribute {
                name: "user",
                label: "Username",
                required: true,
                secret: true,
                example: "",
                pattern: None,
                max_length: Some(100),
            },
            Attribute {
                name: "password",
                label: "Password",
                required: true,
                secret: true,
                example: "",
                pattern: None,
                max_length: Some(128),
            },
        ],
    },
    ConnectorType {
        name: "AwsRdsPostgres",
        label: "Amazon RDS for PostgreSQL",
        description: "Ingest data from an Amazon RDS for PostgreSQL database.",
        methods: &[Method::Ingress],
        parameters: &[
            Attribute {
                name: "jdbc_connection_url",
                label: "JDBC Connection URL",
                required: true,
                secret: false,
                example: "jdbc:postgresql://host:5432",
                pattern: Some("^jdbc:postgresql://[^/:?;\\s]+(:[0-9]{1,5})?([/?;].*)?$"),
                max_length: Some(1000),
            },
            RDS_DATABASE,
            Attribute {
                name: "SCHEMA",
                label: "Schema",
                required: false,
                secret: false,
                example: "public",
                pattern: None,
                max_length: Some(100),
            },
        ],
        credentials: RDS_CREDENTIALS,
    },
    ConnectorType {
        name: "AwsRdsSqlServer",
        label: "AWS RDS SQL Server",
        description: "Ingest data from a SQL Server database on AWS RDS",
        methods: &[Method::Ingress],
        parameters: &[
            Attribute {
                name: "jdbc_connection_url",
                label: "Connection URL",
                required: true,
                secret: false,
                example: "db-1.abc123.us-east-1.rds.amazonaws.com:1433",
                pattern: Some(
                    "[a-z0-9-]{1,30}\\.[a-z0-9]{1,20}\\.[a-z0-9-]{1,20}\\.rds\\.amazonaws\\.com(:[0-9]{4,5})?",
                ),
                max_length: None,
            },
            Attribute {
                name: "SCHEMA",
                label: "Schema",
                required: true,
                secret: false,
                example: "dbo",
                pattern: None,
                max_length: Some(100),
            },
            RDS_DATABASE,
        ],
        credentials: RDS_CREDENTIALS,
    },
];

/// Other connector type tokens the platform names, with the casing the org expects. Their
/// parameters are not public: d360 never invents them and asks the org at plan time.
pub const OTHER_NAMES: &[&str] = &[
    "AwsS3",
    "AzureBlob",
    "Databricks",
    "Gcs",
    "IngestApi",
    "SalesforceDotCom",
    "SalesforceMarketingCloud",
    "Sftp",
    "StreamingApp",
    "SNOWFLAKE",
    "BIGQUERY",
    "AccountEngagement",
];

/// The connection families the spec shapes differently (`ConnectionRepresentation`'s
/// variants), told apart by `connectorType`. Every type not named by another family is a data
/// connector (`DataConnectionRepresentation`: `params`, `credentials`, `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// AWS RDS, S3, Snowflake and the rest: parameters and credentials.
    DataConnector,
    IngestApi,
    /// `SalesforceDotCom` (the CRM connection).
    SalesforceDotCom,
    SalesforceMarketingCloud,
    StreamingApp,
    AccountEngagement,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 6] = [
        Family::DataConnector,
        Family::IngestApi,
        Family::SalesforceDotCom,
        Family::SalesforceMarketingCloud,
        Family::StreamingApp,
        Family::AccountEngagement,
    ];

    /// The family of a connector type token.
    #[must_use]
    pub fn of(connector_type: &str) -> Self {
        match connector_type {
            "IngestApi" => Self::IngestApi,
            "SalesforceDotCom" => Self::SalesforceDotCom,
            "SalesforceMarketingCloud" => Self::SalesforceMarketingCloud,
            "StreamingApp" => Self::StreamingApp,
            "AccountEngagement" => Self::AccountEngagement,
            _ => Self::DataConnector,
        }
    }

    /// Whether d360 manages connections of this family (create with parameters and
    /// credentials, replace with `PUT`). The others are read and reported, never written.
    #[must_use]
    pub fn is_manageable(self) -> bool {
        self == Self::DataConnector
    }

    /// Whether the spec documents `PATCH` for the family.
    #[must_use]
    pub fn is_patchable(self) -> bool {
        matches!(self, Self::SalesforceMarketingCloud | Self::StreamingApp)
    }
}

/// The known type with this exact name.
#[must_use]
pub fn find(name: &str) -> Option<&'static ConnectorType> {
    KNOWN.iter().find(|t| t.name == name)
}

/// Every type name the platform is known to use.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().map(|t| t.name).chain(OTHER_NAMES.iter().copied())
}

/// A type name that differs from a known one only in case (`awsrdsmysql`, `Snowflake`).
#[must_use]
pub fn case_mismatch(name: &str) -> Option<&'static str> {
    all_names().find(|known| *known != name && known.eq_ignore_ascii_case(name))
}
