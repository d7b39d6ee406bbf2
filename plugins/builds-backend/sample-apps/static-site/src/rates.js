const rates = { EUR: 1, USD: 1.08, GBP: 0.86, CHF: 0.95 };
const table = document.getElementById('rates');
for (const [currency, rate] of Object.entries(rates)) {
  const row = table.insertRow();
  row.insertCell().textContent = currency;
  row.insertCell().textContent = rate.toFixed(2);
}
