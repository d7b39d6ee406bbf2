'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { quote } = require('../src/quote');

test('a quote has a fee of at least 1.00', () => {
  assert.deepStrictEqual(quote(10), { amount: 10, fee: 1, total: 11 });
  assert.deepStrictEqual(quote(1000), { amount: 1000, fee: 2.5, total: 1002.5 });
});
