'use strict';
const { toCents, fromCents } = require('fincloud-money');

/** A transfer quote: a fee of 0.25 % with a floor of 1.00. */
function quote(amount) {
  if (!Number.isFinite(amount) || amount < 0) {
    return { error: 'amount must be a positive number' };
  }
  const cents = toCents(amount);
  const fee = Math.max(100, Math.round(cents * 0.0025));
  return { amount: fromCents(cents), fee: fromCents(fee), total: fromCents(cents + fee) };
}

module.exports = { quote };
