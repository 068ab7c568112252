//! How d360 reaches data streams in the org: the `ssot/data-streams` collection, listed in one
//! go, addressed by API name, changed with `PATCH`, deleted keeping the data lake object.

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Method as HttpMethod;

use super::spec::DataStream;
use super::wire::{data_stream_from_wire, data_stream_input, data_stream_patch};
use crate::api::{ApiError, Client, Collection, Page};
use crate::kinds::{
    CheckContext, CheckOutcome, Credentials, DeclaredAt, Driver, Finding, Keep, Listing, LiveObject, Operations,
    Request, not_encodable,
};
use crate::model::Kind;
use d360_wire::shapes::{DataStreamList, DataStreamOutput};

/// The `ssot/data-streams` collection.
pub(crate) struct DataStreams;

impl Collection for DataStreams {
    const PATH: &'static str = "ssot/data-streams";
    /// Record ids grow with creation, so new streams come last and pages read by offset do
    /// not shift as they appear.
    const ORDER_BY: Option<&'static str> = Some("Id");
    type Item = DataStreamOutput;
    type Page = DataStreamList;
    /// The API name: unique in the org, and present where the spec's examples leave `id` out.
    fn identity(item: &DataStreamOutput) -> &str {
        &item.name
    }
}

impl Page for DataStreamList {
    type Item = DataStreamOutput;
    fn total(&self) -> Option<u64> {
        self.total_size
    }
    fn into_parts(self) -> (Vec<DataStreamOutput>, Option<String>) {
        (self.data_streams, self.next_page_url)
    }
}

const LISTING: Listing = Listing {
    kind: Kind::DataStream,
    scope: None,
};

/// The driver of the `DataStream` kind.
pub(crate) struct DataStreamDriver;

impl Driver for DataStreamDriver {
    fn describe(&self, _listing: &Listing) -> String {
        "data streams".to_owned()
    }

    fn manages(&self, _listing: &Listing) -> bool {
        true
    }

    fn discover<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, Result<Vec<Listing>, ApiError>> {
        async { Ok(vec![LISTING]) }.boxed()
    }

    fn list<'a>(
        &'a self,
        client: &'a Client,
        _listing: &'a Listing,
        keep: Keep<'a>,
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, ApiError>> {
        async move {
            client
                .list::<DataStreams, _, _>(&[], &|output| keep(data_stream_from_wire(&output)))
                .await
        }
        .boxed()
    }

    fn read<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        async move { Ok(client.get::<DataStreams>(id).await?.as_ref().map(data_stream_from_wire)) }.boxed()
    }

    fn exists<'a>(&'a self, client: &'a Client, _id: &'a str, name: &'a str) -> BoxFuture<'a, Result<bool, ApiError>> {
        async move { Ok(client.get::<DataStreams>(name).await?.is_some()) }.boxed()
    }

    fn delete<'a>(&'a self, client: &'a Client, _id: &'a str, name: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        // The data lake object and its data stay (`shouldDeleteDataLakeObject` is not sent).
        client.delete::<DataStreams>(name, &[]).boxed()
    }

    fn check_in_org<'a>(
        &'a self,
        _client: &'a Client,
        _declared: &'a [DeclaredAt<'a>],
    ) -> BoxFuture<'a, Result<Vec<Finding>, ApiError>> {
        // The org checks a stream's connection, source and DLO on create; nothing to ask first.
        async { Ok(Vec::new()) }.boxed()
    }
}

impl Operations for DataStream {
    fn listing(&self) -> Listing {
        LISTING
    }

    fn find<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        async move {
            let found = client.get::<DataStreams>(&self.name).await?;
            Ok(found.as_ref().map(data_stream_from_wire))
        }
        .boxed()
    }

    fn create<'a>(
        &'a self,
        client: &'a Client,
        _credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<String, ApiError>> {
        async move {
            let body =
                data_stream_input(self).map_err(|error| not_encodable(&HttpMethod::POST, DataStreams::PATH, &error))?;
            let created = client.create::<DataStreams>(&body).await?;
            let live = data_stream_from_wire(&created);
            if live.id.is_empty() {
                return Err(ApiError::Decode {
                    method: HttpMethod::POST.to_string(),
                    path: DataStreams::PATH.to_owned(),
                    detail: "the created data stream's answer has neither `recordId` nor `id`".to_owned(),
                });
            }
            Ok(live.id)
        }
        .boxed()
    }

    fn update<'a>(
        &'a self,
        client: &'a Client,
        _id: &'a str,
        _credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let body = data_stream_patch(self).map_err(|error| {
                not_encodable(
                    &HttpMethod::PATCH,
                    &format!("{}/{}", DataStreams::PATH, self.name),
                    &error,
                )
            })?;
            client.write::<DataStreams>(HttpMethod::PATCH, &self.name, &body).await
        }
        .boxed()
    }

    fn request(&self, id: Option<&str>, _credentials: &Credentials) -> Result<Request, String> {
        let (method, path, body) = match id {
            None => (
                "POST",
                DataStreams::PATH.to_owned(),
                serde_json::to_value(data_stream_input(self).map_err(|error| error.to_string())?),
            ),
            Some(_) => (
                "PATCH",
                format!("{}/{}", DataStreams::PATH, self.name),
                serde_json::to_value(data_stream_patch(self).map_err(|error| error.to_string())?),
            ),
        };
        Ok(Request {
            method,
            path,
            body: body.map_err(|error| error.to_string())?,
        })
    }

    fn update_note(&self) -> Option<&'static str> {
        None
    }

    fn replace_note(&self) -> Option<&'static str> {
        Some(
            "replacing a data stream deletes it and creates it anew: its data lake object may lose the data it holds, and ingestion starts over",
        )
    }

    fn check<'a>(
        &'a self,
        client: &'a Client,
        context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        async move { super::source_check::check(client, self, context).await.map(Some) }.boxed()
    }

    fn verify<'a>(
        &'a self,
        _client: &'a Client,
        _id: &'a str,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        // A stream has no test of its own; its first run shows whether it works.
        async { Ok(None) }.boxed()
    }
}
