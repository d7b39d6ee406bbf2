'use strict';

/** Amount in major units → integer cents. */
function toCents(amount) {
  return Math.round(Number(amount) * 100);
}

/** Integer cents → major units. */
function fromCents(cents) {
  return cents / 100;
}

module.exports = { toCents, fromCents };
