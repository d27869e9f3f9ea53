"""How a real client of airgrid sends requests, where a generator cannot know it.

Every new request gets a new `Idempotency-Key`: reusing a key for a different request is refused (422),
as the idempotency-key draft says, so a generator's one example key would fail every second POST.
Cursors are opaque values the server issues; one made up is refused (400), so generated ones are
dropped and lists start at their first page.
"""

import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
