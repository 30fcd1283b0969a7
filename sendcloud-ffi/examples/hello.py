import os
from sendcloud import ApiError, Client

url = os.environ.get("SENDCLOUD_BASE_URL", "http://127.0.0.1:8025/smsapi")  # `sendcloud sandbox`
client = Client("sandbox-user", "sandbox-key", base_url=url)
try:
    receipt = client.send(1, ["13800000000"], vars={"code": "123456"})
    print("sent:", receipt.success_count, receipt.sms_ids)
except ApiError as e:
    print("refused:", e.status_code, e.message)
    raise SystemExit(1)
