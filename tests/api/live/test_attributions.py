"""A live blog update's attributions and external_id over HTTP: written, read and embedded as
an article's, versioned with the update (revisions, restore, the change feed), in JSON-LD, and
guarding their sources."""

import pytest

from tests.support.editorial import create, desk, feed_tail
from tests.support.factories import make_source

MERGE = {"Content-Type": "application/merge-patch+json"}
FIGARO = {
    "source": {"name": "Le Figaro"},
    "role": "read_on",
    "label": "Lu sur Le Figaro",
    "url": "https://www.lefigaro.fr/politique/direct",
}


@pytest.fixture
def headers(session) -> dict[str, str]:
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    return desk(session)


def _blog(client, headers, **fields) -> dict:
    return create(client, headers, title="En direct : le vote", status="published", live={}, **fields)


def _post(client, headers, blog: dict, **fields):
    return client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "paragraph", "text": "Le scrutin est ouvert."}], **fields},
        headers=headers,
    )


def _shown(update: dict) -> list[tuple[str, str, str | None]]:
    return [(a["source"]["slug"], a["role"], a["label"]) for a in update["attributions"]]


def test_attributions_are_written_read_listed_and_embedded(client, headers):
    blog = _blog(client, headers)
    created = _post(
        client,
        headers,
        blog,
        external_id="desk-42",
        attributions=[FIGARO, {"source": "reuters", "role": "photo_credit", "label": "©Reuters"}],
    )
    assert created.status_code == 201, created.text
    update = created.json()

    expected = [("le-figaro", "read_on", "Lu sur Le Figaro"), ("reuters", "photo_credit", "©Reuters")]
    assert _shown(update) == expected and update["external_id"] == "desk-42"
    assert update["attributions"][0] == {
        "role": "read_on",
        "label": "Lu sur Le Figaro",
        "url": "https://www.lefigaro.fr/politique/direct",
        "source": {"slug": "le-figaro", "name": "Le Figaro", "kind": "publication"},
    }
    one = client.get(f"/v1/articles/{blog['id']}/updates/{update['id']}").json()
    listed = client.get(f"/v1/articles/{blog['id']}/updates").json()["data"]
    embedded = client.get(f"/v1/articles/{blog['id']}", params={"include": "updates"}).json()["updates"]["latest"]
    assert one == update and listed == [update] and embedded == [update]
    # The source the update named inline is public with the blog, as one an article names.
    assert client.get("/v1/sources/le-figaro").status_code == 200


def test_a_patch_of_the_attributions_is_a_new_version_in_the_feed_and_the_same_ones_are_nothing(client, headers):
    blog = _blog(client, headers)
    update = _post(client, headers, blog, attributions=[FIGARO]).json()
    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"

    changed = client.patch(
        path,
        json={"attributions": [{"source": "reuters", "role": "wire"}]},
        headers={**headers, **MERGE, "If-Match": '"1"'},
    )
    same = client.patch(
        path,
        json={"attributions": [{"source": "reuters", "role": "wire"}]},
        headers={**headers, **MERGE, "If-Match": '"2"'},
    )

    assert changed.status_code == 200, changed.text
    assert _shown(changed.json()) == [("reuters", "wire", None)] and changed.json()["version"] == 2
    assert same.status_code == 200 and same.json()["version"] == 2
    changes = client.get("/v1/changes", params={"types": "update"}).json()["data"]
    assert [(c["id"], c["op"], c["version"]) for c in changes] == [
        (update["id"], "upsert", 1),
        (update["id"], "upsert", 2),
    ]


def test_revisions_hold_the_attributions_and_a_restore_brings_them_back_keeping_the_external_id(
    client, headers, session
):
    blog = _blog(client, headers)
    update = _post(client, headers, blog, attributions=[FIGARO], external_id="desk-1").json()
    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    renamed = client.patch(
        path,
        json={"attributions": [], "external_id": "desk-2"},
        headers={**headers, **MERGE, "If-Match": '"1"'},
    )
    assert renamed.status_code == 200 and renamed.json()["attributions"] == []

    first = client.get(f"{path}/revisions/1", headers=headers).json()
    restored = client.post(f"{path}/revisions/1/restore", headers=headers)

    assert first["snapshot"]["attributions"] == [
        {"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro", "url": FIGARO["url"]}
    ]
    assert first["snapshot"]["external_id"] == "desk-1"
    assert restored.status_code == 200, restored.text
    assert _shown(restored.json()) == [("le-figaro", "read_on", "Lu sur Le Figaro")]
    assert restored.json()["external_id"] == "desk-2" and restored.json()["version"] == 3


def test_json_ld_gives_each_update_what_it_was_read_on(client, headers):
    blog = _blog(client, headers)
    _post(client, headers, blog, attributions=[FIGARO, {"source": "reuters", "role": "photo_credit"}])

    ld = client.get(f"/v1/articles/{blog['id']}", params={"format": "jsonld"}).json()

    assert ld["liveBlogUpdate"][0]["isBasedOn"] == {
        "@type": "CreativeWork",
        "url": FIGARO["url"],
        "name": "Lu sur Le Figaro",
        "publisher": {"@type": "Organization", "name": "Le Figaro"},
    }


def test_an_external_id_is_one_update_s_and_a_bad_attribution_is_422_naming_it(client, headers):
    blog = _blog(client, headers)
    first = _post(client, headers, blog, external_id="desk-7").json()
    second = _post(client, headers, blog).json()

    taken = _post(client, headers, blog, external_id="desk-7")
    patched = client.patch(
        f"/v1/articles/{blog['id']}/updates/{second['id']}",
        json={"external_id": "desk-7"},
        headers={**headers, **MERGE, "If-Match": "*"},
    )
    unknown = _post(client, headers, blog, attributions=[{"source": "nobody", "role": "wire"}])
    bad_role = _post(client, headers, blog, attributions=[{"source": "reuters", "role": "gossip"}])

    for response in (taken, patched):
        assert response.status_code == 409, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["external_id"]
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "attributions[0].source"
    assert bad_role.status_code == 422 and bad_role.json()["errors"][0]["field"] == "attributions[0].role"
    assert client.get(f"/v1/articles/{blog['id']}/updates/{first['id']}").json()["version"] == 1


def test_a_source_an_update_names_cannot_be_deleted_and_its_rename_shows(client, headers):
    blog = _blog(client, headers)
    update = _post(client, headers, blog, attributions=[{"source": "reuters", "role": "wire"}]).json()
    path = f"/v1/articles/{blog['id']}/updates"
    client.get(path)
    assert client.get(path).headers["gazette-cache"] == "HIT"

    since = feed_tail(client)

    refused = client.delete("/v1/sources/reuters", headers={**headers, "If-Match": "*"})
    renamed = client.patch("/v1/sources/reuters", json={"name": "Reuters France"}, headers={**headers, "If-Match": "*"})

    assert refused.status_code == 409 and "update" in refused.json()["detail"]
    assert renamed.status_code == 200, renamed.text
    listed = client.get(path)
    assert listed.headers["gazette-cache"] == "MISS"
    assert listed.json()["data"][0]["attributions"][0]["source"]["name"] == "Reuters France"
    assert client.get(f"{path}/{update['id']}").json()["version"] == 1
    # A mirror keeping the update hears of it: an upsert, its version unchanged.
    changes = client.get("/v1/changes", params={"since": since, "types": "update"}).json()["data"]
    assert [(c["id"], c["article"], c["op"], c["version"]) for c in changes] == [
        (update["id"], blog["id"], "upsert", 1)
    ]


def test_a_draft_blogs_update_keeps_the_source_it_made_hidden_until_the_blog_is_published(client, headers):
    blog = create(client, headers, title="En direct, bientôt", live={})
    made = _post(client, headers, blog, attributions=[{"source": {"name": "Radio Secrète"}, "role": "read_on"}])
    assert made.status_code == 201, made.text
    assert client.get("/v1/sources/radio-secrete").status_code == 404
    source_id = client.get("/v1/sources/radio-secrete", headers=headers).json()["id"]
    assert source_id not in {c["id"] for c in client.get("/v1/changes", params={"types": "source"}).json()["data"]}

    published = client.post(f"/v1/articles/{blog['id']}/publish", headers=headers)

    assert published.status_code == 200, published.text
    assert client.get("/v1/sources/radio-secrete").status_code == 200
    changes = client.get("/v1/changes", params={"types": "source"}).json()["data"]
    assert [c["op"] for c in changes if c["id"] == source_id] == ["upsert"]
