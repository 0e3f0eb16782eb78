# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one grammar of a Kubernetes quantity (k8s.io/apimachinery's resource.Quantity) in the
collection, and the number a quantity stands for. Used by the k8s_quantity filter and test and by
the immutable-field comparison."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from decimal import Decimal, InvalidOperation

# A number with one optional suffix: binary (Ki .. Ei), decimal (m, k, M .. E) or an exponent.
QUANTITY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[mkMGTPE]|[eE][+-]?[0-9]+)?")
_NUMBER = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)")
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def value(text):
    """The number the quantity text stands for (a Decimal), or None when it is not a quantity."""
    text = str(text)
    if not QUANTITY.fullmatch(text):
        return None
    number, suffix = _NUMBER.fullmatch(text).groups()
    try:
        number = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the grammar only lets numbers through
        return None
    if suffix in _BINARY:
        return number * (Decimal(1024) ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number * (Decimal(1000) ** _DECIMAL[suffix])
    return number * (Decimal(10) ** int(suffix[1:]))
