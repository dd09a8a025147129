import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from numberblocks.models import NumberBlock, NumberRangeOptions
from numberblocks.services import OptionsUndefined, block_assign_next, block_release
from tests.factories import CustomerFactory, NumberBlockFactory, SipUserFactory


def set_options(start, size):
    NumberRangeOptions.objects.update_or_create(pk=1, defaults={"number_range_start": start, "block_size": size})


@pytest.mark.django_db
def test_assignment_refused_while_options_undefined():
    customer = CustomerFactory()
    with pytest.raises(OptionsUndefined, match="Settings → Number blocks"):
        block_assign_next(customer=customer)
    set_options(1000, None)
    with pytest.raises(OptionsUndefined):
        block_assign_next(customer=customer)
    assert not NumberBlock.objects.exists()


@pytest.mark.django_db
def test_consecutive_assignments_take_consecutive_blocks():
    set_options(1000, 1000)
    first, second = CustomerFactory(), CustomerFactory()
    assert str(block_assign_next(customer=first)) == "1000–1999"
    assert str(block_assign_next(customer=second)) == "2000–2999"
    assert str(block_assign_next(customer=first)) == "3000–3999"
    assert [str(b) for b in first.number_blocks.all()] == ["1000–1999", "3000–3999"]


@pytest.mark.django_db
def test_next_free_block_fills_gaps_left_by_releases():
    set_options(1000, 1000)
    customer = CustomerFactory()
    blocks = [block_assign_next(customer=customer) for _ in range(4)]
    block_release(block=blocks[2])  # 3000–3999
    block_release(block=blocks[0])  # 1000–1999
    assert str(block_assign_next(customer=customer)) == "1000–1999"
    assert str(block_assign_next(customer=customer)) == "3000–3999"
    assert str(block_assign_next(customer=customer)) == "5000–5999"


@pytest.mark.django_db
def test_changing_options_keeps_existing_blocks_and_never_overlaps_them():
    set_options(1000, 1000)
    customer = CustomerFactory()
    old = [block_assign_next(customer=customer) for _ in range(2)]  # 1000–1999, 2000–2999
    set_options(1500, 300)
    new = [block_assign_next(customer=customer) for _ in range(3)]
    # 1500–1799 … 2700–2999 all touch the old blocks; the first free aligned one is 3000–3299.
    assert [str(b) for b in new] == ["3000–3299", "3300–3599", "3600–3899"]
    for block in old:
        block.refresh_from_db()
    assert [str(b) for b in old] == ["1000–1999", "2000–2999"]
    set_options(0, 500)
    assert str(block_assign_next(customer=customer)) == "0–499"
    assert str(block_assign_next(customer=customer)) == "500–999"
    assert str(block_assign_next(customer=customer)) == "4000–4499"


@pytest.mark.django_db
def test_release_refused_while_extensions_in_use_and_lists_them():
    set_options(1000, 100)
    customer = CustomerFactory()
    block = block_assign_next(customer=customer)
    SipUserFactory(customer=customer, extension=1005)
    SipUserFactory(customer=customer, extension=1042)
    with pytest.raises(ValidationError) as error:
        block_release(block=block)
    assert "1005 (SIP user)" in error.value.messages[0]
    assert "1042 (SIP user)" in error.value.messages[0]
    assert NumberBlock.objects.filter(pk=block.pk).exists()


@pytest.mark.django_db
def test_release_allowed_once_extensions_are_removed():
    set_options(1000, 100)
    customer = CustomerFactory()
    block = block_assign_next(customer=customer)
    SipUserFactory(customer=customer, extension=1005).delete()
    block_release(block=block)
    assert not NumberBlock.objects.exists()


@pytest.mark.django_db
def test_database_refuses_overlapping_blocks_even_bypassing_services():
    NumberBlockFactory(start=1000, end=1999)
    with pytest.raises(IntegrityError, match="numberblock_no_overlap"), transaction.atomic():
        NumberBlockFactory(start=1999, end=2100)
    with pytest.raises(IntegrityError), transaction.atomic():
        NumberBlockFactory(start=500, end=400)
    NumberBlockFactory(start=2000, end=2100)
    assert NumberBlock.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_assignments_in_separate_transactions_never_overlap():
    set_options(1000, 10)
    customers = [CustomerFactory() for _ in range(10)]
    per_worker = 6
    barrier = threading.Barrier(len(customers))
    errors, backends = [], set()

    def work(customer):
        try:
            barrier.wait()
            backends.add(connection.cursor().connection.info.backend_pid)
            for _ in range(per_worker):
                with transaction.atomic():
                    block_assign_next(customer=customer)
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(backends) == len(customers)  # truly separate database sessions
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM numberblocks_numberblock a JOIN numberblocks_numberblock b
                          ON a.id < b.id AND int4range(a.start, a."end", '[]') && int4range(b.start, b."end", '[]')""")
        assert cursor.fetchone()[0] == 0
    starts = sorted(NumberBlock.objects.values_list("start", flat=True))
    assert starts == [1000 + 10 * i for i in range(len(customers) * per_worker)]
    for customer in customers:
        assert customer.number_blocks.count() == per_worker


@pytest.mark.django_db
def test_assignment_retries_when_its_candidate_was_taken_by_another_writer(monkeypatch):
    from numberblocks import services
    from numberblocks.blocks import first_free_block

    set_options(1000, 100)
    NumberBlockFactory(start=1000, end=1099)  # committed by someone outside block_assign_next
    calls = []

    def stale_then_fresh(range_start, block_size, taken):
        calls.append(1)
        # The first look misses the other writer's block, as a read racing its commit would.
        return first_free_block(range_start, block_size, [] if len(calls) == 1 else taken)

    monkeypatch.setattr(services, "first_free_block", stale_then_fresh)
    block = block_assign_next(customer=CustomerFactory())
    assert str(block) == "1100–1199"
    assert len(calls) == 2
    assert NumberBlock.objects.count() == 2
