// The TypeScript SDK against the real platform, over gRPC from Node: every API version, typed
// error details. Run by tests/e2e/test_sdk_typescript.py with node's own test runner.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { ApiError, Code, connect, orders } from "../sdk/src/runtime/node.js";

const acme = connect({ baseUrl: process.env.ACCORD_EDGE, token: process.env.TOKEN });
const me = process.env.CUSTOMER ?? "alice";

async function answer(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    if (error instanceof ApiError) {
      return error.codeName;
    }
    throw error;
  }
}

function order(): orders.v2.PlaceOrderRequest | Record<string, unknown> {
  return {
    requestId: randomUUID().replaceAll("-", ""),
    customerId: me,
    lines: [{ sku: "TEA-1", quantity: 1 }], // priced by the catalogue
    paymentToken: "tok_visa",
  };
}

test("every API version answers through the edge", async () => {
  const placed = await acme.orders.v2.placeOrder(order());
  const orderId = placed.order?.orderId ?? "";
  assert.ok(orderId);
  const answered: Record<string, string> = {
    "acme.banking.v1": await answer(acme.banking.v1.getAccount({ accountId: "acc-none" })),
    "acme.devices.v1": await answer(acme.devices.v1.listDevices({ ownerId: me })),
    "acme.inventory.v1": await answer(acme.inventory.v1.getStock({ sku: "TEA-1" })),
    "acme.marketing.v1": await answer(acme.marketing.v1.getConsent({ customerId: me })),
    "acme.monitor.v1": await answer(
      acme.monitor.v1.reportError({
        reportId: randomUUID().replaceAll("-", ""),
        customerId: me,
        application: "sdk-test",
        errorCode: "SDK_TOUR",
        message: "the TypeScript tour reports one error",
      }),
    ),
    "acme.notifications.v1": await answer(acme.notifications.v1.listNotifications({ customerId: me })),
    "acme.orders.v1": await answer(acme.orders.v1.listOrders({ customerId: me })),
    "acme.orders.v2": await answer(acme.orders.v2.getOrder({ orderId })),
    "acme.payments.v1": await answer(acme.payments.v1.getPayment({ orderId })),
    "acme.pricing.v1": await answer(acme.pricing.v1.getPrice({ routeId: "NOWHERE", date: "2030-01-01" })),
    "acme.shipping.v1": await answer(acme.shipping.v1.getShipment({ orderId })),
    "acme.support.v1": await answer(acme.support.v1.listTickets({ customerId: me })),
  };
  for (const [version, outcome] of Object.entries(answered)) {
    assert.ok(["ok", "NOT_FOUND"].includes(outcome), `${version} answered ${outcome}`);
  }
  assert.equal(answered["acme.orders.v2"], "ok");
});

test("errors carry their decoded details", async () => {
  await assert.rejects(acme.orders.v2.placeOrder({ customerId: me }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.ok(error.fieldViolations.some((v) => v.field === "lines"));
    return true;
  });
  await assert.rejects(acme.orders.v2.getOrder({ orderId: "no-such-order" }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.codeName, "NOT_FOUND");
    assert.equal(error.reason, "ORDER_NOT_FOUND");
    return true;
  });
});

test("a call without credentials is refused with its reason", async () => {
  const anonymous = connect({ baseUrl: process.env.ACCORD_EDGE });
  await assert.rejects(anonymous.orders.v2.getOrder({ orderId: "x" }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, Code.Unauthenticated);
    return true;
  });
});

test("a browser's gRPC-Web reaches the same APIs through the edge", async () => {
  const web = await import("../sdk/src/runtime/web.js");
  const browser = web.connect({ baseUrl: process.env.ACCORD_EDGE, token: process.env.TOKEN });
  const placed = await browser.orders.v2.placeOrder(order());
  const found = await browser.orders.v2.getOrder({ orderId: placed.order?.orderId ?? "" });
  assert.equal(found.order?.customerId, me);
  await assert.rejects(browser.orders.v2.getOrder({ orderId: "no-such-order" }), (error: unknown) => {
    assert.ok(error instanceof web.ApiError);
    assert.equal(error.reason, "ORDER_NOT_FOUND");
    return true;
  });
});
