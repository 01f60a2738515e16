// Preloaded into Azurite (NODE_OPTIONS=--require this file) by emulator/azurite.py.
//
// Azurite reads its accounts from the AZURITE_ACCOUNTS environment variable, at start and then
// once a minute; an emulator that adds a storage account would have to restart it (~1.5 s of
// module loading each time). This file lets the emulator hand Azurite a new account list
// instead: it watches AMLOPS_AZURITE_ACCOUNTS_FILE ("<seq>\n<AZURITE_ACCOUNTS value>"), puts the
// value into process.env and refreshes every AccountDataStore at once, then writes "<seq>" to
// the same path + ".ack". Nothing else in Azurite is touched.
"use strict";
const fs = require("fs");
const path = require("path");

const file = process.env.AMLOPS_AZURITE_ACCOUNTS_FILE;
const storeModule = process.env.AMLOPS_AZURITE_ACCOUNT_STORE;   // AccountDataStore.js, absolute

if (file && storeModule) {
  const stores = [];
  try {
    const ADS = require(storeModule).default;
    const init = ADS.prototype.init;
    ADS.prototype.init = function (...args) {
      stores.push(this);
      return init.apply(this, args);
    };
  } catch (err) {
    process.stderr.write(`azurite_accounts: cannot patch ${storeModule}: ${err}\n`);
  }
  let lastSeq = null;
  const poll = () => {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      return;
    }
    const nl = text.indexOf("\n");
    const seq = nl < 0 ? text.trim() : text.slice(0, nl).trim();
    if (seq === lastSeq || stores.length === 0) {
      return;
    }
    const value = nl < 0 ? "" : text.slice(nl + 1).trim();
    if (value) {
      process.env.AZURITE_ACCOUNTS = value;
    } else {
      delete process.env.AZURITE_ACCOUNTS;
    }
    for (const s of stores) {
      s.refresh();
    }
    lastSeq = seq;
    const tmp = `${file}.ack.tmp`;
    fs.writeFileSync(tmp, seq);
    fs.renameSync(tmp, `${file}.ack`);
  };
  setInterval(poll, 25).unref();
  void path;
}
