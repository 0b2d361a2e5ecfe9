# -*- coding: utf-8 -*-
"""Secrets are masked in any text, without destroying the message around them."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.secrets import MASK, scrub_text


def test_a_secret_is_masked_where_it_stands_as_a_token():
    assert scrub_text("value {u'S3cr3t-pw'}", {'S3cr3t-pw'}) == "value {u'%s'}" % MASK
    assert scrub_text('https://h/0.1/token/abc-123', {'abc-123'}) == 'https://h/0.1/token/' + MASK


def test_a_short_secret_inside_a_longer_token_is_not_a_leak():
    message = "Input Error - Extension '1200' is outside of range for context 'default'"
    assert scrub_text(message, {'12'}) == message


def test_a_secret_equal_to_a_public_value_or_a_template_word_keeps_the_message():
    message = "Input Error - Extension '1500' is outside of range for context 'sales'"
    assert scrub_text(message, {'sales'}, public={'sales', '1500'}) == message
    assert scrub_text("Resource Error - User already exists", {'Error'}) == \
        'Resource Error - User already exists'
    assert scrub_text("login 'admin' refused", {'admin'}, public={'admin'}) == "login 'admin' refused"


def test_a_secret_with_symbols_at_its_edges_is_still_masked():
    assert scrub_text('x!pa$$!y', {'!pa$$!'}) == 'x%sy' % MASK
    assert scrub_text('pw=longsecret;pw2=long', {'long', 'longsecret'}) == 'pw=%s;pw2=%s' % (MASK, MASK)
