//! Verbs for the calls beyond sending: delivery status, templates, sign names, labels and
//! statistics. Each is [`Client::call`] with the endpoint of the core; reads are retried
//! like any safe request, writes are not repeated after a transport failure.

use sendcloud_proto::{
    AddTemplate, DeleteLabel, DeleteTemplate, GetLabel, GetSign, GetTemplate, LabelId, LabelInfo,
    ListLabels, ListSigns, ListTemplates, ProcessFailedRow, ProcessFailedStats, SaveLabel,
    SaveSign, SendDayRow, SendDayStats, SendFailedRow, SendFailedStats, SignId, SignInfo, Stats,
    StatsQuery, StatusPage, StatusQuery, SubmitTemplate, TemplateId, TemplateInfo, TemplateList,
    UpdateLabel, UpdateSign, UpdateTemplate,
};

use crate::{Client, Error};

impl Client {
    /// Queries delivery status (`status/query`).
    pub fn status_query(&self, query: StatusQuery) -> Result<StatusPage, Error> {
        self.call(query)
    }

    /// Lists templates (`template/list`).
    pub fn templates(&self, list: ListTemplates) -> Result<TemplateList, Error> {
        self.call(list)
    }

    /// Reads one template (`template/get`).
    pub fn template(&self, id: TemplateId) -> Result<TemplateInfo, Error> {
        self.call(GetTemplate(id))
    }

    /// Adds a template (`template/addsms`); it is pending until submitted and approved.
    pub fn add_template(&self, add: AddTemplate) -> Result<TemplateId, Error> {
        self.call(add)
    }

    /// Changes a template (`template/updatesms`); it goes back to review.
    pub fn update_template(&self, update: UpdateTemplate) -> Result<(), Error> {
        self.call(update)
    }

    /// Submits a template for review (`template/submitsms`).
    pub fn submit_template(&self, id: TemplateId) -> Result<(), Error> {
        self.call(SubmitTemplate(id))
    }

    /// Deletes a template (`template/deletesms`).
    pub fn delete_template(&self, id: TemplateId) -> Result<(), Error> {
        self.call(DeleteTemplate(id))
    }

    /// Lists sign names (`sign/list`).
    pub fn signs(&self) -> Result<Vec<SignInfo>, Error> {
        self.call(ListSigns)
    }

    /// Reads one sign name (`sign/get`).
    pub fn sign(&self, id: SignId) -> Result<SignInfo, Error> {
        self.call(GetSign(id))
    }

    /// Adds a sign name (`sign/save`).
    pub fn add_sign(&self, save: SaveSign) -> Result<SignInfo, Error> {
        self.call(save)
    }

    /// Changes a sign name (`sign/update`).
    pub fn update_sign(&self, update: UpdateSign) -> Result<SignInfo, Error> {
        self.call(update)
    }

    /// Lists labels (`label/list`).
    pub fn labels(&self, list: ListLabels) -> Result<Vec<LabelInfo>, Error> {
        self.call(list)
    }

    /// Reads one label (`label/get`).
    pub fn label(&self, id: LabelId) -> Result<LabelInfo, Error> {
        self.call(GetLabel(id))
    }

    /// Adds a label (`label/save`).
    pub fn add_label(&self, save: SaveLabel) -> Result<LabelInfo, Error> {
        self.call(save)
    }

    /// Renames a label (`label/update`).
    pub fn update_label(&self, update: UpdateLabel) -> Result<(), Error> {
        self.call(update)
    }

    /// Deletes a label (`label/delete`).
    pub fn delete_label(&self, id: LabelId) -> Result<(), Error> {
        self.call(DeleteLabel(id))
    }

    /// Messages per day (`data/sendDay`).
    pub fn send_day_stats(&self, query: StatsQuery) -> Result<Stats<SendDayRow>, Error> {
        self.call(SendDayStats(query))
    }

    /// Why processing failed, per day (`data/processFailed`).
    pub fn process_failed_stats(
        &self,
        query: StatsQuery,
    ) -> Result<Stats<ProcessFailedRow>, Error> {
        self.call(ProcessFailedStats(query))
    }

    /// Why delivery failed, per day (`data/sendFailed`).
    pub fn send_failed_stats(&self, query: StatsQuery) -> Result<Stats<SendFailedRow>, Error> {
        self.call(SendFailedStats(query))
    }
}
