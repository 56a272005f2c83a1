// Package demo builds Gomato's demonstration installation from the real
// public datasets in testdata/: an agency with three tenants (an online
// retailer from UCI Online Retail, a Persian music store from CDNOW, a
// telecom from the IBM Telco churn sample), their users, and a first
// scoring run through the real queue. Each dataset has a reader that turns
// the file into one bulk batch (tenant/store.Bulk); the orchestration
// provisions the tenants through the registry and loads each batch with
// COPY inside the tenant's scoped transaction.
package demo
