//! Splitting any number of recipients into sends of at most 2,000.

use std::collections::HashSet;

use crate::api::send::SendTemplate;
use crate::endpoint::Endpoint;
use crate::error::ValidationError;
use crate::phone::{Phone, Recipients, MAX_RECIPIENTS};
use crate::values::{LabelId, MsgType, SendRequestId, Tag, TemplateId, MAX_REQUEST_ID_CHARS};
use crate::vars::Vars;

/// Longest base of derived sendRequestIds: room is left for `-` and any batch number.
pub const MAX_BATCH_BASE_CHARS: usize = MAX_REQUEST_ID_CHARS - 21;

/// What every batch of a bulk send shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkTemplate {
    template_id: TemplateId,
    mms: bool,
    vars: Vars,
    label_id: Option<LabelId>,
    tag: Option<Tag>,
}

impl BulkTemplate {
    /// Sends of `template_id` as SMS.
    pub fn new(template_id: TemplateId) -> Self {
        BulkTemplate {
            template_id,
            mms: false,
            vars: Vars::new(),
            label_id: None,
            tag: None,
        }
    }
    /// Domestic numbers get an MMS (international numbers always go as international SMS,
    /// the only kind SendCloud has for them).
    pub fn mms(mut self, mms: bool) -> Self {
        self.mms = mms;
        self
    }
    /// The variables every recipient gets.
    pub fn with_vars(mut self, vars: Vars) -> Self {
        self.vars = vars;
        self
    }
    /// The label.
    pub fn with_label(mut self, label: LabelId) -> Self {
        self.label_id = Some(label);
        self
    }
    /// The tag.
    pub fn with_tag(mut self, tag: Tag) -> Self {
        self.tag = Some(tag);
        self
    }

    /// The send of this template to `recipients` with `id`.
    pub fn to(&self, recipients: Recipients, id: SendRequestId) -> SendTemplate {
        let intl = recipients.is_international();
        let mut s = SendTemplate::new(self.template_id, recipients)
            .with_vars(self.vars.clone())
            .with_request_id(id);
        if self.mms && !intl {
            s = s
                .with_msg_type(MsgType::Mms)
                .expect("MMS is valid for domestic numbers");
        }
        if let Some(l) = self.label_id {
            s = s.with_label(l);
        }
        if let Some(t) = &self.tag {
            s = s.with_tag(t.clone());
        }
        s
    }
}

/// One send of a bulk send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Which batch this is, from 1; the sendRequestId ends with `-{index}`.
    pub index: u64,
    /// The request, with its derived sendRequestId.
    pub request: SendTemplate,
    /// Numbers that came again within this batch; they are sent once.
    pub duplicates: Vec<Phone>,
}

impl Batch {
    /// The request to send, and what the report needs of it once the answer is in. A batch
    /// from [`Batches`] always has its sendRequestId; one made without is refused, since
    /// its retries could be sent twice.
    pub fn into_parts(self) -> Result<(SendTemplate, BatchTicket), ValidationError> {
        let send_request_id = self.request.send_request_id().cloned().ok_or_else(|| {
            ValidationError::new("sendRequestId", "a batch of a bulk send needs one")
        })?;
        let ticket = BatchTicket {
            index: self.index,
            send_request_id,
            recipients: self.request.recipients().clone(),
            duplicates: self.duplicates.len(),
        };
        Ok((self.request, ticket))
    }
}

/// What [`BulkReport::record_batch`] needs of a batch that was sent: its place, its
/// sendRequestId, its recipients and how many repeated numbers it left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTicket {
    index: u64,
    send_request_id: SendRequestId,
    recipients: Recipients,
    duplicates: usize,
}

/// Splits recipients taken from an iterator (never collected whole) into sends of at most
/// 2,000 numbers, each with the sendRequestId `{base}-{n}`, so that retrying a batch can
/// never send it twice. A batch also ends where the numbers change between domestic and
/// international, since one send cannot mix them. A number repeated within one batch is
/// sent once and listed in [`Batch::duplicates`].
///
/// ```
/// use sendcloud_proto::{Batches, BulkTemplate, Phone, TemplateId};
/// let phones = (0..4500u64).map(|i| Phone::parse(&format!("138{:08}", i)).unwrap());
/// let batches: Vec<_> = Batches::new(BulkTemplate::new(TemplateId::new(1).unwrap()),
///                                    "campaign-7", phones).unwrap().collect();
/// assert_eq!(batches.len(), 3);
/// assert_eq!(batches[2].request.recipients().len(), 500);
/// use sendcloud_proto::Endpoint;
/// assert_eq!(batches[2].request.send_request_id().unwrap().as_str(), "campaign-7-3");
/// ```
#[derive(Debug)]
pub struct Batches<I> {
    template: BulkTemplate,
    base: String,
    phones: I,
    pending: Option<Phone>,
    next_index: u64,
    size: usize,
}

impl<I: Iterator<Item = Phone>> Batches<I> {
    /// Batches of up to 2,000 numbers. `base` must be 1 to 107 characters with no control
    /// characters.
    pub fn new(
        template: BulkTemplate,
        base: &str,
        phones: impl IntoIterator<IntoIter = I>,
    ) -> Result<Self, ValidationError> {
        Batches::with_size(template, base, phones, MAX_RECIPIENTS)
    }

    /// Batches of up to `size` numbers (1 to 2,000).
    pub fn with_size(
        template: BulkTemplate,
        base: &str,
        phones: impl IntoIterator<IntoIter = I>,
        size: usize,
    ) -> Result<Self, ValidationError> {
        if !(1..=MAX_RECIPIENTS).contains(&size) {
            return Err(ValidationError::new(
                "batchSize",
                format!("must be 1 to {MAX_RECIPIENTS}"),
            ));
        }
        let n = base.chars().count();
        if n == 0 || n > MAX_BATCH_BASE_CHARS {
            return Err(ValidationError::new(
                "sendRequestId",
                format!("a bulk base id must be 1 to {MAX_BATCH_BASE_CHARS} characters, has {n}"),
            ));
        }
        // Validates the characters once; derived ids only append `-digits`.
        SendRequestId::new(base)?;
        Ok(Batches {
            template,
            base: base.to_owned(),
            phones: phones.into_iter(),
            pending: None,
            next_index: 1,
            size,
        })
    }
}

impl<I: Iterator<Item = Phone>> Iterator for Batches<I> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let first = self.pending.take().or_else(|| self.phones.next())?;
        let intl = first.is_international();
        let mut seen: HashSet<Phone> = HashSet::with_capacity(self.size.min(4096));
        let mut phones = Vec::with_capacity(self.size.min(4096));
        let mut duplicates = Vec::new();
        seen.insert(first.clone());
        phones.push(first);
        while phones.len() < self.size {
            let Some(p) = self.phones.next() else { break };
            if p.is_international() != intl {
                self.pending = Some(p);
                break;
            }
            if seen.contains(&p) {
                duplicates.push(p);
            } else {
                seen.insert(p.clone());
                phones.push(p);
            }
        }
        let index = self.next_index;
        self.next_index += 1;
        let id = SendRequestId::new(format!("{}-{}", self.base, index))
            .expect("base checked in new; a suffix of - and digits keeps it valid");
        let recipients = Recipients::new(phones)
            .expect("a batch has 1..=2000 unique numbers of one kind by construction");
        Some(Batch {
            index,
            request: self.template.to(recipients, id),
            duplicates,
        })
    }
}

/// A batch that was not delivered to SendCloud (or was refused as a whole for a reason
/// other than its recipients), kept with its numbers so that it can be sent again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedBatch {
    /// The batch number.
    pub index: u64,
    /// The sendRequestId it was sent with (sending it again with the same id is safe).
    pub send_request_id: SendRequestId,
    /// Its numbers.
    pub phones: Vec<Phone>,
    /// The SendCloud status, when SendCloud answered.
    pub status: Option<crate::status::StatusCode>,
    /// What went wrong.
    pub error: String,
}

/// What a bulk send did, recipient by recipient where it matters: counts for what was
/// accepted, the refused numbers with SendCloud's reasons, the failed batches whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Batches finished.
    pub batches: u64,
    /// Recipients in finished batches (duplicates within a batch not counted).
    pub recipients: u64,
    /// Recipients SendCloud accepted.
    pub accepted: u64,
    /// Batches found already processed (`400 duplicate request`): on a retry after a lost
    /// answer, or because the same list was sent with the same base id within the hour.
    pub already_accepted_batches: u64,
    /// Numbers left out because they came twice within a batch.
    pub duplicates_skipped: u64,
    /// Recipients SendCloud refused (311 partial success, 312 all refused).
    pub refused: Vec<crate::error::Rejected>,
    /// Batches that failed as a whole.
    pub failed: Vec<FailedBatch>,
}

impl BulkReport {
    /// Records the outcome of the batch of `ticket` (see [`Batch::into_parts`]).
    pub fn record_batch(
        &mut self,
        ticket: &BatchTicket,
        result: Result<&crate::response::SendReceipt, &dyn BatchError>,
    ) {
        self.record(
            ticket.index,
            &ticket.send_request_id,
            &ticket.recipients,
            ticket.duplicates,
            result,
        );
    }

    /// Records the outcome of one batch, given its parts.
    pub fn record(
        &mut self,
        index: u64,
        send_request_id: &SendRequestId,
        recipients: &Recipients,
        duplicates: usize,
        result: Result<&crate::response::SendReceipt, &dyn BatchError>,
    ) {
        let n = recipients.len() as u64;
        self.batches += 1;
        self.recipients += n;
        self.duplicates_skipped += duplicates as u64;
        match result {
            Ok(receipt) => {
                if receipt.already_accepted {
                    self.already_accepted_batches += 1;
                }
                let refused = receipt.rejected.len() as u64;
                self.accepted += n.saturating_sub(refused);
                self.refused.extend(receipt.rejected.iter().cloned());
            }
            Err(err) => match err.api_error() {
                // This very batch (same derived id) was processed earlier: a re-run of the
                // same list with the same base id within the hour. Not sent twice.
                Some(crate::error::Error::Api {
                    status: crate::status::StatusCode::DuplicateRequest,
                    ..
                }) => {
                    self.already_accepted_batches += 1;
                    self.accepted += n;
                }
                Some(crate::error::Error::Api {
                    status: status @ crate::status::StatusCode::AllFailed,
                    rejected,
                    ..
                }) if !rejected.is_empty() => {
                    self.refused.extend(rejected.iter().cloned());
                    // Numbers the answer did not list are neither accepted nor refused:
                    // keep them as failed, so that nothing is lost.
                    let listed: std::collections::HashSet<&str> =
                        rejected.iter().map(|r| r.phone.as_str()).collect();
                    let unlisted: Vec<Phone> = recipients
                        .phones()
                        .iter()
                        .filter(|p| !listed.contains(p.as_str()))
                        .cloned()
                        .collect();
                    if !unlisted.is_empty() {
                        self.failed.push(FailedBatch {
                            index,
                            send_request_id: send_request_id.clone(),
                            phones: unlisted,
                            status: Some(*status),
                            error: format!("{err} (these numbers were not listed in the answer)"),
                        });
                    }
                }
                api => self.failed.push(FailedBatch {
                    index,
                    send_request_id: send_request_id.clone(),
                    phones: recipients.phones().to_vec(),
                    status: api.and_then(crate::error::Error::status),
                    error: err.to_string(),
                }),
            },
        }
    }

    /// Recipients refused or in failed batches.
    pub fn not_accepted(&self) -> u64 {
        self.refused.len() as u64
            + self
                .failed
                .iter()
                .map(|f| f.phones.len() as u64)
                .sum::<u64>()
    }

    /// Whether every recipient was accepted.
    pub fn all_accepted(&self) -> bool {
        self.refused.is_empty() && self.failed.is_empty()
    }
}

/// An error a transport reports for a batch: displayable, and the core error inside it
/// when SendCloud answered.
pub trait BatchError: std::fmt::Display {
    /// The API-level error, if this is one.
    fn api_error(&self) -> Option<&crate::error::Error>;
}

impl BatchError for crate::error::Error {
    fn api_error(&self) -> Option<&crate::error::Error> {
        Some(self)
    }
}
