/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What a run's traffic costs through an AWS NAT gateway, and what it would cost
 * with VPC endpoints instead (docs/cost.md).
 *
 * The caller gives the traffic of one run by destination service (a name, a
 * class, IP-layer bytes each way) and the run's span in seconds; the library
 * prices two designs from a price file:
 *
 * - "nat": everything through the NAT gateway(s);
 * - "endpoints": S3 and DynamoDB through gateway endpoints, the chosen AWS
 *   services through interface endpoints (PrivateLink), the rest through the
 *   NAT gateway(s).
 *
 * Each bill is a list of line items with an amount for the run and per month.
 * Monthly figures extrapolate the run: quantities are multiplied by
 * month / span (a month is the price file's hours_per_month, 730), tiered
 * prices apply to the monthly volume, and every run amount is its monthly
 * amount × span / month.
 *
 * Plain C, jansson and libm: no DPDK, no clock, no global state.
 */
#ifndef NATGW_COST_H
#define NATGW_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/** Most tiers of one tiered price. */
#define NATGW_COST_MAX_TIERS 8
/** Most services in one usage, and in a design's interface endpoint list. */
#define NATGW_COST_MAX_SERVICES 64
/** Room for a service or region name, its terminating NUL included. */
#define NATGW_COST_NAME_MAX 32
/** Most line items of one bill. */
#define NATGW_COST_MAX_ITEMS 32

/** Where traffic goes, as far as the price is concerned. */
enum natgw_cost_class {
	NATGW_COST_INTERNET, /**< the internet: NAT only, data transfer out charged */
	NATGW_COST_S3,       /**< Amazon S3 in the region: gateway endpoint possible */
	NATGW_COST_DYNAMODB, /**< DynamoDB in the region: gateway endpoint possible */
	NATGW_COST_AWS,      /**< any other AWS service in the region */
	NATGW_COST_CLASSES
};

/** One band of a tiered per-GB price. */
struct natgw_cost_tier {
	double upto_gb; /**< the band's upper bound, GB a month from 0; INFINITY for the last */
	double price;   /**< USD per GB in the band */
};

/** A tiered per-GB price: bands in increasing order, the last unbounded. */
struct natgw_cost_tiers {
	unsigned int n;
	struct natgw_cost_tier tier[NATGW_COST_MAX_TIERS];
};

/**
 * Prices, in USD. Field names follow the price file's keys (docs/cost.md).
 * Fill with natgw_cost_prices_defaults() or natgw_cost_prices_load().
 */
struct natgw_cost_prices {
	char region[NATGW_COST_NAME_MAX];
	char source[256];       /**< where the numbers come from ("" if not said) */
	double gb_bytes;        /**< bytes in a billed GB (AWS: 2^30) */
	double hours_per_month; /**< hours in a month (AWS: 730) */
	struct {
		double per_hour;    /**< per gateway */
		double per_gb;      /**< data processed, both directions */
	} nat_gateway;
	struct {
		double per_hour;    /**< per endpoint */
		double per_gb;
	} gateway_endpoint;
	struct {
		double per_hour;    /**< per endpoint per AZ */
		struct natgw_cost_tiers per_gb_tiers; /**< a month, across endpoints */
	} interface_endpoint;
	struct {
		double free_gb;     /**< free a month before the tiers */
		struct natgw_cost_tiers per_gb_tiers; /**< a month, beyond free_gb */
	} internet_out;
};

/** The us-east-1 list prices, the same numbers as data/prices-us-east-1.json. */
void natgw_cost_prices_defaults(struct natgw_cost_prices *p);

/**
 * Load a price file (JSON, docs/cost.md). Every key must be there; an unknown
 * key, a key given twice, a value of the wrong type, a negative price or tier
 * bounds that do not increase are errors.
 * @return 0, or -1 with a one-line reason naming the file and the key in @p err
 * (@p p is then unspecified).
 */
int natgw_cost_prices_load(struct natgw_cost_prices *p, const char *path, char *err,
		size_t errlen);

/**
 * Change one price: @p assignment is "KEY=NUMBER" with KEY as in the price file,
 * dotted ("nat_gateway.per_gb=0.052", "internet_out.free_gb=0",
 * "internet_out.per_gb_tiers.1.price=0.08"). A tier must exist already.
 * @return 0, or -1 with a one-line reason in @p err (@p p is then unchanged).
 */
int natgw_cost_prices_set(struct natgw_cost_prices *p, const char *assignment, char *err,
		size_t errlen);

/**
 * The prices as a price file's JSON object (natgw_cost_prices_load() reads it
 * back to the same prices). @return 0, or -1 (no memory).
 */
int natgw_cost_prices_json(const struct natgw_cost_prices *p, json_t **out);

/**
 * The shipped price file: the build tree's copy if it is readable (a program
 * run from its build tree reads the prices of its source tree), else the
 * installed one (which may not exist). A static buffer.
 */
const char *natgw_cost_default_prices_path(void);

/** What is priced against the NAT gateway. */
struct natgw_cost_design {
	unsigned int n_nat;      /**< NAT gateways (AWS advises one per AZ); at least 1 */
	unsigned int n_az;       /**< AZs each interface endpoint is in; at least 1 */
	bool gateway_endpoints;  /**< S3 and DynamoDB through gateway endpoints */
	unsigned int n_interface;
	/** services moved to interface endpoints */
	char interface[NATGW_COST_MAX_SERVICES][NATGW_COST_NAME_MAX];
};

/** The default interface endpoint services, a comma-separated list. */
#define NATGW_COST_DEFAULT_INTERFACE \
	"ecr.api,ecr.dkr,ecs,ecs-agent,ecs-telemetry,logs,secretsmanager,sts,ssm,kms"

/**
 * One NAT gateway, interface endpoints in one AZ, gateway endpoints on, the
 * services of NATGW_COST_DEFAULT_INTERFACE.
 */
void natgw_cost_design_defaults(struct natgw_cost_design *d);

/**
 * Set the interface endpoint services from a comma-separated list of names
 * (spaces around a name are ignored; "" or "none": no interface endpoint).
 * @return 0, or -1 with a one-line reason in @p err (an empty or too long
 * name, a name twice, too many; @p d is then unchanged).
 */
int natgw_cost_design_set_services(struct natgw_cost_design *d, const char *list, char *err,
		size_t errlen);

/** One destination service's traffic in the run. */
struct natgw_cost_service {
	const char *name;           /**< "s3", "ecr.dkr", "internet", ... */
	enum natgw_cost_class cls;
	uint64_t bytes_out;         /**< IP bytes to the service */
	uint64_t bytes_in;          /**< IP bytes from the service */
};

/** A run's traffic. */
struct natgw_cost_usage {
	double span_s;              /**< the run's time span, seconds, > 0 */
	unsigned int n;             /**< services, at most NATGW_COST_MAX_SERVICES */
	const struct natgw_cost_service *svc; /**< distinct names */
};

/** Which way a service's traffic goes in a design. */
enum natgw_cost_route {
	NATGW_COST_VIA_NAT,
	NATGW_COST_VIA_GATEWAY_ENDPOINT,
	NATGW_COST_VIA_INTERFACE_ENDPOINT,
};

/** One line of a bill: amount = quantity × unit price, for the run and a month. */
struct natgw_cost_item {
	char key[48];         /**< the price's key: "nat_gateway.per_hour", ... */
	char what[80];        /**< for a person */
	const char *unit;     /**< "hour" or "GB" */
	double qty_run, qty_month;
	double unit_price;    /**< USD per unit */
	double run, month;    /**< USD */
};

/** One design's bill. */
struct natgw_cost_bill {
	unsigned int n;
	struct natgw_cost_item item[NATGW_COST_MAX_ITEMS];
	double run, month;    /**< totals, USD */
};

/** The two bills, and what they were computed from. */
struct natgw_cost_report {
	struct natgw_cost_prices prices;
	struct natgw_cost_design design;
	double span_s;
	double month_factor;  /**< hours_per_month × 3600 / span_s */
	unsigned int n;       /**< services, in the order given */
	struct {
		char name[NATGW_COST_NAME_MAX];
		enum natgw_cost_class cls;
		uint64_t bytes_out, bytes_in;
		enum natgw_cost_route route; /**< in the endpoints design */
	} svc[NATGW_COST_MAX_SERVICES];
	struct natgw_cost_bill nat;       /**< everything through the NAT gateway */
	struct natgw_cost_bill endpoints; /**< with VPC endpoints */
	double saving_run, saving_month;  /**< nat - endpoints */
};

/** @return "internet", "s3", "dynamodb", "aws", or "?" for another value. */
const char *natgw_cost_class_name(enum natgw_cost_class c);

/** @return "nat", "gateway_endpoint", "interface_endpoint", or "?". */
const char *natgw_cost_route_name(enum natgw_cost_route r);

/**
 * Price @p usage in both designs into @p out.
 * @return 0, or -1 with a one-line reason in @p err: a span that is not a
 * positive number, a design without a NAT gateway or an AZ, too many services,
 * a name empty, too long or given twice, an unknown class.
 */
int natgw_cost_compute(const struct natgw_cost_prices *p, const struct natgw_cost_design *d,
		const struct natgw_cost_usage *usage, struct natgw_cost_report *out, char *err,
		size_t errlen);

/**
 * The report as JSON (for report.json's "cost" section): prices, design,
 * services with their route, both bills with their items, the saving.
 * @return 0, or -1 (no memory).
 */
int natgw_cost_report_json(const struct natgw_cost_report *r, json_t **out);

/** Print both bills and the saving for a terminal, in aligned columns. */
void natgw_cost_report_print(const struct natgw_cost_report *r, FILE *f);

#endif /* NATGW_COST_H */
