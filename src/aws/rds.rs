//! The RDS inventory: DB instances and Aurora clusters, every page, filtered by engine and tags.
//!
//! Both listings use the Query API (`DescribeDBInstances`, `DescribeDBClusters`) with 100
//! records a page (the API's maximum) and follow `Marker`, so N databases take
//! `ceil(N / 100)` requests per listing. Instances that belong to an Aurora cluster are left
//! out: the cluster, through its writer endpoint, is the database to connect to.

use std::collections::BTreeMap;

use super::AwsError;
use super::client::{Access, Client, Request, Service};

/// The RDS API version of the Query protocol.
const API_VERSION: &str = "2014-10-31";
/// Records a page: the API's maximum.
pub(crate) const PAGE_SIZE: usize = 100;

/// Which databases an item source wants.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Filter {
    /// Engines (`mysql`, `aurora-postgresql`); a trailing `*` matches a prefix
    /// (`sqlserver-*`). Empty: every engine.
    pub(crate) engines: Vec<String>,
    /// Tags every database must carry with these values.
    pub(crate) tags: BTreeMap<String, String>,
}

impl Filter {
    fn accepts(&self, database: &Database) -> bool {
        let engine_ok = self.engines.is_empty()
            || self.engines.iter().any(|wanted| match wanted.strip_suffix('*') {
                Some(prefix) => database.engine.starts_with(prefix),
                None => database.engine == *wanted,
            });
        engine_ok
            && self
                .tags
                .iter()
                .all(|(key, value)| database.tags.get(key) == Some(value))
    }
}

/// One item source's question: where to look and what to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Query {
    pub(crate) access: Access,
    pub(crate) filter: Filter,
}

impl std::fmt::Display for Query {
    /// `region eu-west-1, engines mysql, aurora-mysql, tags data360=ingest`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let region = self.access.region.as_deref().unwrap_or("from the environment");
        write!(f, "region {region}")?;
        if let Some(profile) = &self.access.profile {
            write!(f, ", profile {profile}")?;
        }
        if !self.filter.engines.is_empty() {
            write!(f, ", engines {}", self.filter.engines.join(", "))?;
        }
        if !self.filter.tags.is_empty() {
            let tags: Vec<String> = self.filter.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            write!(f, ", tags {}", tags.join(", "))?;
        }
        Ok(())
    }
}

/// One database as RDS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Database {
    /// `DBInstanceIdentifier` or `DBClusterIdentifier`.
    pub(crate) identifier: String,
    pub(crate) engine: String,
    /// The endpoint's address (a cluster's writer endpoint).
    pub(crate) host: String,
    pub(crate) port: String,
    /// `DBName` / `DatabaseName`; empty when none was created with the database.
    pub(crate) db_name: String,
    /// `DbiResourceId` / `DbClusterResourceId`.
    pub(crate) resource_id: String,
    pub(crate) arn: String,
    pub(crate) tags: BTreeMap<String, String>,
}

/// What one discovery found and what it cost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Discovery {
    /// The region that was listed (the source's, or the chain's default).
    pub(crate) region: String,
    /// The databases the filter accepts, by identifier.
    pub(crate) databases: Vec<Database>,
    /// Databases listed before filtering (cluster members not counted).
    pub(crate) listed: usize,
    /// Databases with no endpoint yet (being created): left out.
    pub(crate) without_endpoint: usize,
    /// Pages requested (both listings).
    pub(crate) pages: usize,
}

/// Connects for `query`'s region and profile and lists what it asks for.
pub(crate) async fn list(query: &Query) -> Result<Discovery, AwsError> {
    let client = Client::connect(&query.access).await?;
    let started = std::time::Instant::now();
    let discovery = discover(&client, &query.filter).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        region = %discovery.region,
        pages = discovery.pages,
        requests = client.requests(),
        listed = discovery.listed,
        kept = discovery.databases.len(),
        "listed AWS RDS databases"
    );
    Ok(discovery)
}

/// Lists every DB instance and cluster in the client's region and keeps those `filter`
/// accepts.
pub(crate) async fn discover(client: &Client, filter: &Filter) -> Result<Discovery, AwsError> {
    let mut discovery = Discovery {
        region: client.region().to_owned(),
        ..Discovery::default()
    };
    for listing in [Listing::Instances, Listing::Clusters] {
        let mut marker: Option<String> = None;
        loop {
            let body = client.send(&listing.request(marker.as_deref())).await?;
            discovery.pages += 1;
            let page = parse_page(listing, &body)?;
            for found in page.databases {
                match found {
                    Found::Member => {}
                    Found::NoEndpoint => {
                        discovery.listed += 1;
                        discovery.without_endpoint += 1;
                    }
                    Found::Database(database) => {
                        discovery.listed += 1;
                        if filter.accepts(&database) {
                            discovery.databases.push(database);
                        }
                    }
                }
            }
            match page.marker {
                Some(next) if !next.is_empty() => marker = Some(next),
                _ => break,
            }
        }
    }
    discovery.databases.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Ok(discovery)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    Instances,
    Clusters,
}

impl Listing {
    fn action(self) -> &'static str {
        match self {
            Listing::Instances => "DescribeDBInstances",
            Listing::Clusters => "DescribeDBClusters",
        }
    }

    fn request(self, marker: Option<&str>) -> Request {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", self.action())
            .append_pair("Version", API_VERSION)
            .append_pair("MaxRecords", &PAGE_SIZE.to_string());
        if let Some(marker) = marker {
            form.append_pair("Marker", marker);
        }
        Request {
            call: self.action(),
            service: Service::Rds,
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            target: None,
            body: form.finish(),
        }
    }
}

enum Found {
    Database(Database),
    /// An instance of an Aurora cluster: the cluster is listed instead.
    Member,
    NoEndpoint,
}

struct Page {
    databases: Vec<Found>,
    marker: Option<String>,
}

fn parse_page(listing: Listing, body: &str) -> Result<Page, AwsError> {
    let decode = |detail: String| AwsError::Decode {
        call: listing.action(),
        detail,
    };
    let document = roxmltree::Document::parse(body).map_err(|error| decode(error.to_string()))?;
    let result_tag = match listing {
        Listing::Instances => "DescribeDBInstancesResult",
        Listing::Clusters => "DescribeDBClustersResult",
    };
    let result = document
        .descendants()
        .find(|node| node.has_tag_name(result_tag))
        .ok_or_else(|| decode(format!("no `{result_tag}` element")))?;
    let marker = child_text(result, "Marker");
    let (list_tag, item_tag) = match listing {
        Listing::Instances => ("DBInstances", "DBInstance"),
        Listing::Clusters => ("DBClusters", "DBCluster"),
    };
    let databases = result
        .children()
        .filter(|node| node.has_tag_name(list_tag))
        .flat_map(|list| list.children().filter(|node| node.has_tag_name(item_tag)))
        .map(|node| match listing {
            Listing::Instances => instance(node),
            Listing::Clusters => cluster(node),
        })
        .collect();
    Ok(Page { databases, marker })
}

fn instance(node: roxmltree::Node<'_, '_>) -> Found {
    if child_text(node, "DBClusterIdentifier").is_some_and(|cluster| !cluster.is_empty()) {
        return Found::Member;
    }
    let endpoint = node.children().find(|child| child.has_tag_name("Endpoint"));
    let Some(host) = endpoint.and_then(|endpoint| child_text(endpoint, "Address")) else {
        return Found::NoEndpoint;
    };
    Found::Database(Database {
        identifier: child_text(node, "DBInstanceIdentifier").unwrap_or_default(),
        engine: child_text(node, "Engine").unwrap_or_default(),
        host,
        port: endpoint
            .and_then(|endpoint| child_text(endpoint, "Port"))
            .unwrap_or_default(),
        db_name: child_text(node, "DBName").unwrap_or_default(),
        resource_id: child_text(node, "DbiResourceId").unwrap_or_default(),
        arn: child_text(node, "DBInstanceArn").unwrap_or_default(),
        tags: tags(node),
    })
}

fn cluster(node: roxmltree::Node<'_, '_>) -> Found {
    let Some(host) = child_text(node, "Endpoint") else {
        return Found::NoEndpoint;
    };
    Found::Database(Database {
        identifier: child_text(node, "DBClusterIdentifier").unwrap_or_default(),
        engine: child_text(node, "Engine").unwrap_or_default(),
        host,
        port: child_text(node, "Port").unwrap_or_default(),
        db_name: child_text(node, "DatabaseName").unwrap_or_default(),
        resource_id: child_text(node, "DbClusterResourceId").unwrap_or_default(),
        arn: child_text(node, "DBClusterArn").unwrap_or_default(),
        tags: tags(node),
    })
}

fn tags(node: roxmltree::Node<'_, '_>) -> BTreeMap<String, String> {
    node.children()
        .filter(|child| child.has_tag_name("TagList"))
        .flat_map(|list| list.children().filter(|child| child.has_tag_name("Tag")))
        .filter_map(|tag| Some((child_text(tag, "Key")?, child_text(tag, "Value").unwrap_or_default())))
        .collect()
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|child| child.has_tag_name(name))
        .map(|child| child.text().unwrap_or_default().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCES: &str = r#"<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult>
    <Marker>next-page</Marker>
    <DBInstances>
      <DBInstance>
        <DBInstanceIdentifier>clinic-001</DBInstanceIdentifier>
        <Engine>mysql</Engine>
        <DBName>clinic</DBName>
        <Endpoint><Address>clinic-001.abc.eu-west-1.rds.amazonaws.com</Address><Port>3306</Port></Endpoint>
        <DbiResourceId>db-ABC</DbiResourceId>
        <DBInstanceArn>arn:aws:rds:eu-west-1:123456789012:db:clinic-001</DBInstanceArn>
        <TagList><Tag><Key>data360</Key><Value>ingest</Value></Tag></TagList>
      </DBInstance>
      <DBInstance>
        <DBInstanceIdentifier>aurora-1-instance</DBInstanceIdentifier>
        <Engine>aurora-mysql</Engine>
        <DBClusterIdentifier>aurora-1</DBClusterIdentifier>
        <Endpoint><Address>x</Address><Port>3306</Port></Endpoint>
      </DBInstance>
      <DBInstance>
        <DBInstanceIdentifier>creating</DBInstanceIdentifier>
        <Engine>postgres</Engine>
      </DBInstance>
    </DBInstances>
  </DescribeDBInstancesResult>
</DescribeDBInstancesResponse>"#;

    #[test]
    fn instance_pages_give_databases_members_and_the_marker() {
        let page = parse_page(Listing::Instances, INSTANCES).expect("a page");
        assert_eq!(page.marker.as_deref(), Some("next-page"));
        let [Found::Database(first), Found::Member, Found::NoEndpoint] = page.databases.as_slice() else {
            panic!("unexpected shape");
        };
        assert_eq!(first.identifier, "clinic-001");
        assert_eq!(first.port, "3306");
        assert_eq!(first.db_name, "clinic");
        assert_eq!(first.tags.get("data360").map(String::as_str), Some("ingest"));
    }

    #[test]
    fn clusters_use_the_writer_endpoint() {
        let body = r"<DescribeDBClustersResponse><DescribeDBClustersResult><DBClusters><DBCluster>
            <DBClusterIdentifier>aurora-1</DBClusterIdentifier><Engine>aurora-postgresql</Engine>
            <Endpoint>aurora-1.cluster-abc.rds.amazonaws.com</Endpoint><Port>5432</Port>
            <DbClusterResourceId>cluster-XYZ</DbClusterResourceId><DBClusterArn>arn:c</DBClusterArn>
            <TagList/></DBCluster></DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>";
        let page = parse_page(Listing::Clusters, body).expect("a page");
        assert!(page.marker.is_none());
        let [Found::Database(cluster)] = page.databases.as_slice() else {
            panic!("one cluster");
        };
        assert_eq!(cluster.host, "aurora-1.cluster-abc.rds.amazonaws.com");
        assert_eq!(cluster.db_name, "");
        assert_eq!(cluster.resource_id, "cluster-XYZ");
    }

    #[test]
    fn filters_match_engines_by_name_or_prefix_and_every_tag() {
        let database = Database {
            identifier: "a".into(),
            engine: "sqlserver-se".into(),
            host: "h".into(),
            port: "1433".into(),
            db_name: String::new(),
            resource_id: String::new(),
            arn: String::new(),
            tags: BTreeMap::from([("data360".to_owned(), "ingest".to_owned())]),
        };
        let filter = |engines: &[&str], tags: &[(&str, &str)]| Filter {
            engines: engines.iter().map(|e| (*e).to_owned()).collect(),
            tags: tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        assert!(filter(&[], &[]).accepts(&database));
        assert!(filter(&["sqlserver-*"], &[("data360", "ingest")]).accepts(&database));
        assert!(!filter(&["mysql"], &[]).accepts(&database));
        assert!(!filter(&[], &[("data360", "skip")]).accepts(&database));
        assert!(!filter(&[], &[("team", "x")]).accepts(&database));
    }
}
