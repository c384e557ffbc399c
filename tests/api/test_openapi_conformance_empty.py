"""tests/api/test_openapi_conformance.py on an empty warehouse, in its own module: the sample lake of the other
module stays loaded (in its outer transaction) until that module ends."""

import pytest

from tests.api.conftest import token_client
from tests.api.test_openapi_conformance import Conformance, _call_every_get, _schema

pytestmark = pytest.mark.django_db


def test_every_operation_on_an_empty_warehouse_matches_the_schema(staff_user):
    """No load yet: soft failures, empty lists and absent optional blocks are still what the schema says."""
    staff = token_client(staff_user)
    conformance = Conformance(_schema(staff))
    _call_every_get(staff, conformance)
    lists = {op for op in conformance.operations() if op[0] == "get" and "{id}" not in op[1]}
    assert lists <= conformance.seen  # and the details whose list has a row (platforms are seeded)
