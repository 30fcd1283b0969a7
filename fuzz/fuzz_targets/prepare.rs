//! Typed inputs built from arbitrary strings and numbers (invalid ones skipped): whatever
//! `Client::prepare` emits, the sandbox accepts its signature (never 421 or 422), and the
//! body decodes back to exactly the parameters that were signed.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sendcloud_proto::{
    verify, Client, Credentials, Endpoint, Envelope, Form, LabelId, MsgType, Phone, Recipients,
    SendCode, SendRequestId, SendTemplate, SendVoice, SignId, SignRef, SignatureAlgorithm, Tag,
    TemplateId, Timestamp, Vars, VerificationCode,
};
use sendcloud_sandbox::{Sandbox, SandboxConfig, DEFAULT_SMS_KEY, DEFAULT_SMS_USER};

#[derive(Arbitrary, Debug)]
enum Call {
    Template {
        template_id: u64,
        msg_type: u8,
        vars: Vec<(String, String)>,
        label: Option<u64>,
    },
    Voice {
        code: String,
    },
    Code {
        code: String,
        sign_id: Option<u64>,
        sign_name: String,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    call: Call,
    phones: Vec<String>,
    request_id: Option<String>,
    tag: Option<String>,
    sha256: bool,
    now: u64,
}

fn check<E: Endpoint>(client: &Client, endpoint: &E, now: Timestamp) {
    let request = client.prepare(endpoint, now).expect("prepare");
    let sent = Form::decode(request.body());
    let signed = client.form(endpoint, now);
    assert_eq!(
        sent, signed,
        "the body does not decode to the signed parameters"
    );
    let signature = sent.get("signature").expect("signature");
    assert_eq!(signature.len(), client.algorithm().hex_len());
    assert!(verify(
        client.credentials().sms_key(),
        sent.iter(),
        signature
    ));

    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let answer = sandbox.handle(&request, now);
    let env = Envelope::decode(answer.body()).expect("envelope");
    let code = env.status.code();
    assert!(
        code != 421 && code != 422,
        "the sandbox refused the signature: {} {}",
        code,
        env.message
    );
}

fuzz_target!(|input: Input| {
    let Ok(phones) = input
        .phones
        .iter()
        .take(50)
        .map(|s| Phone::parse(s))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let request_id = match input.request_id.map(SendRequestId::new).transpose() {
        Ok(id) => id,
        Err(_) => return,
    };
    let tag = match input.tag.as_deref().map(Tag::parse).transpose() {
        Ok(tag) => tag,
        Err(_) => return,
    };
    let alg = if input.sha256 {
        SignatureAlgorithm::Sha256
    } else {
        SignatureAlgorithm::Md5
    };
    let client = Client::new(Credentials::new(DEFAULT_SMS_USER, DEFAULT_SMS_KEY).expect("creds"))
        .with_base_url("http://sandbox.local/smsapi")
        .expect("url")
        .with_algorithm(alg);
    let now = Timestamp(input.now);

    match input.call {
        Call::Template {
            template_id,
            msg_type,
            vars,
            label,
        } => {
            let Ok(recipients) = Recipients::new(phones) else {
                return;
            };
            let Ok(template_id) = TemplateId::new(template_id) else {
                return;
            };
            let mut v = Vars::new();
            for (name, value) in vars.iter().take(8) {
                if v.insert(name, value.as_str()).is_err() {
                    return;
                }
            }
            let mut send = SendTemplate::new(template_id, recipients).with_vars(v);
            let msg_type = match msg_type % 3 {
                0 => MsgType::Sms,
                1 => MsgType::Mms,
                _ => MsgType::International,
            };
            if let Ok(s) = send.clone().with_msg_type(msg_type) {
                send = s;
            }
            if let Some(label) = label.map(LabelId::new) {
                let Ok(label) = label else { return };
                send = send.with_label(label);
            }
            if let Some(id) = request_id {
                send = send.with_request_id(id);
            }
            if let Some(tag) = tag {
                send = send.with_tag(tag);
            }
            check(&client, &send, now);
        }
        Call::Voice { code } => {
            let Some(phone) = phones.into_iter().next() else {
                return;
            };
            let Ok(code) = VerificationCode::new(code) else {
                return;
            };
            let Ok(mut voice) = SendVoice::new(phone, code) else {
                return;
            };
            if let Some(id) = request_id {
                voice = voice.with_request_id(id);
            }
            if let Some(tag) = tag {
                voice = voice.with_tag(tag);
            }
            check(&client, &voice, now);
        }
        Call::Code {
            code,
            sign_id,
            sign_name,
        } => {
            let Some(phone) = phones.into_iter().next() else {
                return;
            };
            let Ok(code) = VerificationCode::new(code) else {
                return;
            };
            let sign = match sign_id {
                Some(id) => match SignId::new(id) {
                    Ok(id) => SignRef::Id(id),
                    Err(_) => return,
                },
                None => match SignRef::name(sign_name) {
                    Ok(s) => s,
                    Err(_) => return,
                },
            };
            let mut send = SendCode::new(phone, code, sign);
            if let Some(id) = request_id {
                send = send.with_request_id(id);
            }
            if let Some(tag) = tag {
                send = send.with_tag(tag);
            }
            check(&client, &send, now);
        }
    }
});
