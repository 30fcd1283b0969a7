//! The retry policy's decisions and the batching of bulk sends.

use std::collections::HashSet;
use std::time::Duration;

use proptest::prelude::*;
use sendcloud_proto::*;

fn ctx(attempt: u32, idempotent: bool) -> AttemptContext {
    AttemptContext {
        attempt,
        idempotent,
        clock_resynced: false,
        maybe_processed: false,
        jitter: 0.5,
    }
}

fn api(code: i64) -> Error {
    Error::Api {
        status: StatusCode::from_code(code),
        message: String::new(),
        rejected: vec![],
    }
}

#[test]
fn decisions() {
    let p = RetryPolicy::default();
    let retry = |attempt| Decision::Retry {
        after: p.backoff(attempt, 0.5),
    };
    let e501 = api(501);
    let e400 = api(400);
    let e461 = api(461);
    let e412 = api(412);
    let e496 = api(496);
    let http503 = Error::Http {
        status: 503,
        body: String::new(),
    };
    let http404 = Error::Http {
        status: 404,
        body: String::new(),
    };
    let garbled = Error::Decode {
        reason: "x".into(),
        body: String::new(),
    };
    let invalid = Error::Invalid(ValidationError::new("phone", "x"));
    use AttemptOutcome as O;
    use TransportFailure as T;
    let table: Vec<(AttemptContext, AttemptOutcome, Decision)> = vec![
        (ctx(1, false), O::Success, Decision::Done),
        // Nothing was sent: always safe.
        (ctx(1, false), O::Transport(T::Connect), retry(1)),
        // Maybe processed: only with a sendRequestId.
        (ctx(1, true), O::Transport(T::Timeout), retry(1)),
        (ctx(1, false), O::Transport(T::Timeout), Decision::GiveUp),
        (ctx(2, true), O::Transport(T::Io), retry(2)),
        (ctx(1, false), O::Transport(T::Io), Decision::GiveUp),
        (ctx(1, true), O::Error(&e501), retry(1)),
        (ctx(1, false), O::Error(&e501), Decision::GiveUp),
        (ctx(1, true), O::Error(&http503), retry(1)),
        (ctx(1, true), O::Error(&http404), Decision::GiveUp),
        (ctx(1, true), O::Error(&garbled), retry(1)),
        (ctx(1, false), O::Error(&garbled), Decision::GiveUp),
        // The attempt cap.
        (ctx(5, true), O::Error(&e501), Decision::GiveUp),
        (ctx(5, true), O::Transport(T::Connect), Decision::GiveUp),
        // 400 after an attempt that may have been processed: it was.
        (
            AttemptContext {
                maybe_processed: true,
                ..ctx(2, true)
            },
            O::Error(&e400),
            Decision::AlreadyAccepted,
        ),
        // 400 on a retry after attempts that cannot have been processed (a refused
        // connection, a 461): the id was used before, by something else. Report it.
        (ctx(2, true), O::Error(&e400), Decision::GiveUp),
        // 400 on a first attempt: the id was used before; report it.
        (ctx(1, true), O::Error(&e400), Decision::GiveUp),
        (ctx(1, false), O::Error(&e461), Decision::ResyncClock),
        (
            AttemptContext {
                clock_resynced: true,
                ..ctx(2, true)
            },
            O::Error(&e461),
            Decision::GiveUp,
        ),
        (ctx(1, true), O::Error(&e412), Decision::GiveUp),
        (ctx(1, true), O::Error(&e496), Decision::GiveUp),
        (ctx(1, true), O::Error(&invalid), Decision::GiveUp),
    ];
    for (i, (c, o, want)) in table.into_iter().enumerate() {
        assert_eq!(p.decide(&c, o), want, "row {i}: {c:?} {o:?}");
    }
}

#[test]
fn backoff_grows_and_is_capped() {
    let p = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    };
    assert_eq!(p.backoff(1, 0.0), Duration::from_millis(50));
    assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
    assert_eq!(p.backoff(2, 0.0), Duration::from_millis(100));
    assert_eq!(p.backoff(3, 1.0), Duration::from_millis(400));
    assert_eq!(p.backoff(9, 1.0), Duration::from_secs(1));
    assert_eq!(p.backoff(u32::MAX, 1.0), Duration::from_secs(1));
    assert_eq!(p.backoff(2, f64::NAN), Duration::from_millis(100));
    assert_eq!(
        RetryPolicy::never().decide(
            &ctx(1, true),
            AttemptOutcome::Transport(TransportFailure::Connect)
        ),
        Decision::GiveUp
    );
}

proptest! {
    #[test]
    fn backoff_stays_within_bounds(attempt in 1u32..100, jitter in any::<f64>()) {
        let p = RetryPolicy::default();
        let d = p.backoff(attempt, jitter);
        prop_assert!(d <= p.max_delay);
        prop_assert!(d >= p.base_delay.min(p.max_delay) / 2);
    }

    #[test]
    fn a_blind_send_is_never_retried_after_it_may_have_gone_out(
        attempt in 1u32..10, kind in prop_oneof![Just(TransportFailure::Timeout), Just(TransportFailure::Io)],
    ) {
        let d = RetryPolicy::default().decide(&ctx(attempt, false), AttemptOutcome::Transport(kind));
        prop_assert_eq!(d, Decision::GiveUp);
    }
}

fn phone(i: u64) -> Phone {
    Phone::parse(&format!("13{i:09}")).unwrap()
}

#[test]
fn batches_split_at_2000_with_derived_ids() {
    let n = 4_001u64;
    let template = BulkTemplate::new(TemplateId::new(9).unwrap());
    let batches: Vec<Batch> = Batches::new(template, "camp", (0..n).map(phone))
        .unwrap()
        .collect();
    let sizes: Vec<usize> = batches
        .iter()
        .map(|b| b.request.recipients().len())
        .collect();
    assert_eq!(sizes, vec![2000, 2000, 1]);
    let ids: Vec<&str> = batches
        .iter()
        .map(|b| b.request.send_request_id().unwrap().as_str())
        .collect();
    assert_eq!(ids, vec!["camp-1", "camp-2", "camp-3"]);
    let all: Vec<&str> = batches
        .iter()
        .flat_map(|b| b.request.recipients().phones().iter().map(Phone::as_str))
        .collect();
    assert_eq!(all.len() as u64, n);
    assert_eq!(all.iter().collect::<HashSet<_>>().len() as u64, n);
}

#[test]
fn batches_do_not_collect_the_input() {
    // An endless iterator: only what the batches taken need is read.
    let mut taken = 0u64;
    let endless = (0..).map(|i| {
        taken += 1;
        phone(i)
    });
    let mut b = Batches::new(BulkTemplate::new(TemplateId::new(1).unwrap()), "x", endless).unwrap();
    let first = b.next().unwrap();
    assert_eq!(first.request.recipients().len(), 2000);
    drop(b);
    assert_eq!(taken, 2000);
}

#[test]
fn batches_split_domestic_from_international_and_report_duplicates() {
    let list = [
        "13800000001",
        "13800000002",
        "13800000001",
        "+85212345678",
        "0085212345679",
        "13800000003",
    ];
    let template = BulkTemplate::new(TemplateId::new(1).unwrap()).mms(true);
    let batches: Vec<Batch> =
        Batches::new(template, "b", list.iter().map(|p| Phone::parse(p).unwrap()))
            .unwrap()
            .collect();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[0].request.recipients().len(), 2);
    assert_eq!(
        batches[0].duplicates,
        vec![Phone::parse("13800000001").unwrap()]
    );
    assert_eq!(batches[0].request.msg_type(), MsgType::Mms);
    assert_eq!(batches[1].request.msg_type(), MsgType::International);
    assert_eq!(batches[1].request.recipients().len(), 2);
    assert_eq!(batches[2].request.msg_type(), MsgType::Mms);
}

#[test]
fn batch_base_ids_leave_room_for_any_suffix() {
    let t = BulkTemplate::new(TemplateId::new(1).unwrap());
    let base = "b".repeat(107);
    let mut b = Batches::new(t.clone(), &base, (0..1).map(phone)).unwrap();
    let id = b.next().unwrap().request.send_request_id().unwrap().clone();
    assert_eq!(id.as_str(), format!("{base}-1"));
    assert_eq!(format!("{base}-{}", u64::MAX).chars().count(), 128);
    let e = Batches::new(t.clone(), &"b".repeat(108), (0..1).map(phone)).unwrap_err();
    assert_eq!(e.field, "sendRequestId");
    assert!(Batches::new(t.clone(), "", (0..1).map(phone)).is_err());
    assert!(Batches::with_size(t, "x", (0..1).map(phone), 2001).is_err());
}

proptest! {
    #[test]
    fn batching_loses_nothing(n in 0u64..7000, size in 1usize..=2000) {
        let batches: Vec<Batch> = Batches::with_size(
            BulkTemplate::new(TemplateId::new(1).unwrap()), "p", (0..n).map(phone), size,
        ).unwrap().collect();
        let total: usize = batches.iter().map(|b| b.request.recipients().len()).sum();
        prop_assert_eq!(total as u64, n);
        prop_assert!(batches.iter().all(|b| b.request.recipients().len() <= size));
        let ids: HashSet<String> = batches.iter().map(|b| b.request.send_request_id().unwrap().to_string()).collect();
        prop_assert_eq!(ids.len(), batches.len());
    }
}

fn api_err(code: i64, rejected: Vec<Rejected>) -> Error {
    Error::Api {
        status: StatusCode::from_code(code),
        message: "m".into(),
        rejected,
    }
}

#[test]
fn the_report_accounts_for_every_recipient() {
    let recipients = Recipients::parse("13800000001,13800000002,13800000003").unwrap();
    let id = SendRequestId::new("b-1").unwrap();
    let refused = |p: &str| Rejected {
        phone: p.into(),
        message: "bad".into(),
    };

    // 311: two accepted, one refused.
    let mut r = BulkReport::default();
    let receipt = SendReceipt {
        status: Some(StatusCode::PartialSuccess),
        success_count: 2,
        rejected: vec![refused("13800000002")],
        ..SendReceipt::default()
    };
    r.record(1, &id, &recipients, 0, Ok(&receipt));
    assert_eq!((r.accepted, r.refused.len(), r.failed.len()), (2, 1, 0));

    // 312 listing only one of three: the other two are kept as failed, not lost.
    let mut r = BulkReport::default();
    let e = api_err(312, vec![refused("13800000001")]);
    r.record(1, &id, &recipients, 0, Err(&e));
    assert_eq!(r.refused.len(), 1);
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].phones.len(), 2);
    assert_eq!(r.not_accepted(), 3);

    // 400 on a batch: sent earlier under the same derived id, counted once as accepted.
    let mut r = BulkReport::default();
    let e = api_err(400, vec![]);
    r.record(1, &id, &recipients, 0, Err(&e));
    assert_eq!((r.accepted, r.already_accepted_batches), (3, 1));
    assert!(r.all_accepted());

    // Anything else fails the batch whole, with its numbers kept for a re-run.
    let mut r = BulkReport::default();
    let e = api_err(431, vec![]);
    r.record(1, &id, &recipients, 1, Err(&e));
    assert_eq!(r.failed[0].phones, recipients.phones().to_vec());
    assert_eq!(r.failed[0].status, Some(StatusCode::TemplateNotFound));
    assert_eq!(r.duplicates_skipped, 1);
    assert_eq!(r.accepted + r.not_accepted(), 3);
}

/// A batch hands its request and its ticket over for sending; one made by hand without a
/// sendRequestId is refused rather than sent with retries that could repeat it.
#[test]
fn batches_split_into_request_and_ticket() {
    let phones = (0..2001u64).map(|i| Phone::parse(&format!("138{i:08}")).unwrap());
    let mut batches =
        Batches::new(BulkTemplate::new(TemplateId::new(1).unwrap()), "b", phones).unwrap();
    let first = batches.next().unwrap();
    let (request, ticket) = first.clone().into_parts().unwrap();
    assert_eq!(request.send_request_id().unwrap().as_str(), "b-1");
    let mut report = BulkReport::default();
    report.record_batch(&ticket, Ok(&SendReceipt::default()));
    assert_eq!(
        (report.batches, report.recipients, report.accepted),
        (1, 2000, 2000)
    );

    let unnamed = Batch {
        request: SendTemplate::new(
            TemplateId::new(1).unwrap(),
            Recipients::parse("13800000000").unwrap(),
        ),
        ..first
    };
    let refused = unnamed.into_parts().unwrap_err();
    assert_eq!(refused.field, "sendRequestId");
}
