"""The layer checks are registered once, in AWS's order, each deciding its own layers with one entry point."""

from __future__ import annotations

import importlib

from bot.diagnose.layers import LAYERS
from bot.diagnose.model import LAYER_ORDER
from bot.layers import LayerId


def test_every_contract_layer_is_decided_by_exactly_one_registered_check() -> None:
    owners: dict[LayerId, list[str]] = {}
    for check in LAYERS:
        for layer in check.layers:
            owners.setdefault(layer, []).append(check.name)
    assert set(owners) == set(LayerId)
    assert all(len(names) == 1 for names in owners.values()), owners


def test_each_check_is_a_module_of_its_own_with_a_documented_rule() -> None:
    for check in LAYERS:
        module = importlib.import_module(f"bot.diagnose.layers.{check.name}")
        assert module.CHECK is check
        assert module.__doc__ and len(module.__doc__) > 80, check.name
        assert check.reads, check.name


def test_checks_are_registered_in_aws_order_of_the_first_layer_each_decides() -> None:
    position = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    firsts = [min(position[layer] for layer in check.layers) for check in LAYERS]
    assert firsts == sorted(firsts), [c.name for c in LAYERS]
