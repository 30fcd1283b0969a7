//! Verbs for the calls beyond sending: delivery status, templates, sign names, labels and
//! statistics. Each is [`Client::call`] with the endpoint of the core; reads are retried
//! like any safe request, writes are not repeated after a transport failure.

use bytes::Bytes;
use http_body_util::Full;
use sendcloud_proto::{
    AddTemplate, DeleteLabel, DeleteTemplate, GetLabel, GetSign, GetTemplate, LabelId, LabelInfo,
    ListLabels, ListSigns, ListTemplates, ProcessFailedRow, ProcessFailedStats, SaveLabel,
    SaveSign, SendDayRow, SendDayStats, SendFailedRow, SendFailedStats, SignId, SignInfo, Stats,
    StatsQuery, StatusPage, StatusQuery, SubmitTemplate, TemplateId, TemplateInfo, TemplateList,
    UpdateLabel, UpdateSign, UpdateTemplate,
};

use crate::client::BoxError;
use crate::{Client, Error};

impl<S, B> Client<S>
where
    S: tower::Service<http::Request<Full<Bytes>>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: http_body::Body + Send,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// Queries delivery status (`status/query`).
    pub async fn status_query(&self, query: StatusQuery) -> Result<StatusPage, Error> {
        self.call(query).await
    }

    /// Lists templates (`template/list`).
    pub async fn templates(&self, list: ListTemplates) -> Result<TemplateList, Error> {
        self.call(list).await
    }

    /// Reads one template (`template/get`).
    pub async fn template(&self, id: TemplateId) -> Result<TemplateInfo, Error> {
        self.call(GetTemplate(id)).await
    }

    /// Adds a template (`template/addsms`); it is pending until submitted and approved.
    pub async fn add_template(&self, add: AddTemplate) -> Result<TemplateId, Error> {
        self.call(add).await
    }

    /// Changes a template (`template/updatesms`); it goes back to review.
    pub async fn update_template(&self, update: UpdateTemplate) -> Result<(), Error> {
        self.call(update).await
    }

    /// Submits a template for review (`template/submitsms`).
    pub async fn submit_template(&self, id: TemplateId) -> Result<(), Error> {
        self.call(SubmitTemplate(id)).await
    }

    /// Deletes a template (`template/deletesms`).
    pub async fn delete_template(&self, id: TemplateId) -> Result<(), Error> {
        self.call(DeleteTemplate(id)).await
    }

    /// Lists sign names (`sign/list`).
    pub async fn signs(&self) -> Result<Vec<SignInfo>, Error> {
        self.call(ListSigns).await
    }

    /// Reads one sign name (`sign/get`).
    pub async fn sign(&self, id: SignId) -> Result<SignInfo, Error> {
        self.call(GetSign(id)).await
    }

    /// Adds a sign name (`sign/save`).
    pub async fn add_sign(&self, save: SaveSign) -> Result<SignInfo, Error> {
        self.call(save).await
    }

    /// Changes a sign name (`sign/update`).
    pub async fn update_sign(&self, update: UpdateSign) -> Result<SignInfo, Error> {
        self.call(update).await
    }

    /// Lists labels (`label/list`).
    pub async fn labels(&self, list: ListLabels) -> Result<Vec<LabelInfo>, Error> {
        self.call(list).await
    }

    /// Reads one label (`label/get`).
    pub async fn label(&self, id: LabelId) -> Result<LabelInfo, Error> {
        self.call(GetLabel(id)).await
    }

    /// Adds a label (`label/save`).
    pub async fn add_label(&self, save: SaveLabel) -> Result<LabelInfo, Error> {
        self.call(save).await
    }

    /// Renames a label (`label/update`).
    pub async fn update_label(&self, update: UpdateLabel) -> Result<(), Error> {
        self.call(update).await
    }

    /// Deletes a label (`label/delete`).
    pub async fn delete_label(&self, id: LabelId) -> Result<(), Error> {
        self.call(DeleteLabel(id)).await
    }

    /// Messages per day (`data/sendDay`).
    pub async fn send_day_stats(&self, query: StatsQuery) -> Result<Stats<SendDayRow>, Error> {
        self.call(SendDayStats(query)).await
    }

    /// Why processing failed, per day (`data/processFailed`).
    pub async fn process_failed_stats(
        &self,
        query: StatsQuery,
    ) -> Result<Stats<ProcessFailedRow>, Error> {
        self.call(ProcessFailedStats(query)).await
    }

    /// Why delivery failed, per day (`data/sendFailed`).
    pub async fn send_failed_stats(
        &self,
        query: StatsQuery,
    ) -> Result<Stats<SendFailedRow>, Error> {
        self.call(SendFailedStats(query)).await
    }
}
