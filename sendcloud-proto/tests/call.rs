//! The call driver: what a transport is told to do after each attempt.

use sendcloud_proto::*;
use sendcloud_proto::{Call, Next};

fn client() -> Client {
    Client::new(Credentials::new("u", "k").unwrap())
}

fn send() -> SendTemplate {
    SendTemplate::new(
        TemplateId::new(1).unwrap(),
        Recipients::parse("13800000000").unwrap(),
    )
}

fn answer(code: u16) -> http::Response<String> {
    let result = code == 200;
    http::Response::new(format!(
        r#"{{"result":{result},"statusCode":{code},"message":"m","info":{{"smsIds":["id"]}}}}"#
    ))
}

fn id() -> SendRequestId {
    SendRequestId::new("sc-test").unwrap()
}

#[test]
fn a_generated_id_is_signed_into_every_attempt() {
    let mut call = Call::new(send(), RetryPolicy::default(), id);
    assert_eq!(call.endpoint().send_request_id(), Some(&id()));
    let req = call.request(&client(), Timestamp(1)).unwrap();
    assert_eq!(
        Form::decode(req.body()).get("sendRequestId"),
        Some("sc-test")
    );
    // Reads carry none.
    let call = Call::new(GetServerTime, RetryPolicy::default(), || {
        panic!("not asked")
    });
    assert!(!call.endpoint().is_idempotent() || GetServerTime.send_request_id().is_none());
}

#[test]
fn a_send_without_an_id_is_not_retried_once_it_may_have_gone_out() {
    let mut call = Call::without_generated_id(send(), RetryPolicy::default());
    let req = call.request(&client(), Timestamp(1)).unwrap();
    assert_eq!(Form::decode(req.body()).get("sendRequestId"), None);
    assert_eq!(
        call.on_transport_failure(TransportFailure::Io, || 0.0),
        None
    );
    assert_eq!(call.attempts(), 1);
    // A refused connection sent nothing, so even a blind send may try again.
    let mut call = Call::without_generated_id(send(), RetryPolicy::default());
    call.request(&client(), Timestamp(1)).unwrap();
    assert!(call
        .on_transport_failure(TransportFailure::Connect, || 0.0)
        .is_some());
}

#[test]
fn a_duplicate_after_a_lost_answer_is_already_accepted() {
    let mut call = Call::new(send(), RetryPolicy::default(), id);
    call.request(&client(), Timestamp(1)).unwrap();
    assert!(call
        .on_transport_failure(TransportFailure::Timeout, || 0.0)
        .is_some());
    call.request(&client(), Timestamp(2)).unwrap();
    match call.on_response(&answer(400), || 0.0) {
        Next::Done(Ok(r)) => assert!(r.already_accepted),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_duplicate_after_attempts_that_cannot_have_been_processed_is_an_error() {
    // 461 (refused, nothing processed), resync, then 400: the id belongs to an earlier,
    // different request, and this one was never sent.
    let mut call = Call::new(send(), RetryPolicy::default(), id);
    call.request(&client(), Timestamp(1)).unwrap();
    assert!(matches!(
        call.on_response(&answer(461), || 0.0),
        Next::ResyncClock
    ));
    call.clock_resynced();
    call.request(&client(), Timestamp(2)).unwrap();
    match call.on_response(&answer(400), || 0.0) {
        Next::Done(Err(e)) => assert_eq!(e.status(), Some(StatusCode::DuplicateRequest)),
        other => panic!("{other:?}"),
    }
    // Likewise after a refused connection.
    let mut call = Call::new(send(), RetryPolicy::default(), id);
    call.request(&client(), Timestamp(1)).unwrap();
    assert!(call
        .on_transport_failure(TransportFailure::Connect, || 0.0)
        .is_some());
    call.request(&client(), Timestamp(2)).unwrap();
    assert!(matches!(
        call.on_response(&answer(400), || 0.0),
        Next::Done(Err(_))
    ));
}

#[test]
fn the_clock_is_resynced_once() {
    let mut call = Call::new(send(), RetryPolicy::default(), id);
    call.request(&client(), Timestamp(1)).unwrap();
    assert!(matches!(
        call.on_response(&answer(461), || 0.0),
        Next::ResyncClock
    ));
    call.clock_resynced();
    call.request(&client(), Timestamp(2)).unwrap();
    match call.on_response(&answer(461), || 0.0) {
        Next::Done(Err(e)) => assert_eq!(e.status(), Some(StatusCode::InvalidTimestamp)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_clock_is_read_only_for_signed_requests() {
    let reads = std::cell::Cell::new(0);
    let clock = || {
        reads.set(reads.get() + 1);
        Timestamp(1_700_000_000_123)
    };
    let mut time = Call::without_generated_id(GetServerTime, RetryPolicy::default());
    let req = time.request_at(&client(), clock).unwrap();
    assert_eq!(reads.get(), 0, "timestamp/get carries no time");
    assert!(req.body().is_empty());
    assert_eq!(time.attempts(), 1);

    let mut call = Call::new(send(), RetryPolicy::default(), id);
    let req = call.request_at(&client(), clock).unwrap();
    assert_eq!(reads.get(), 1);
    let form = Form::decode(req.body());
    assert_eq!(form.get("timestamp"), Some("1700000000123"));
}
