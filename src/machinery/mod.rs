//! Non-road mobile machinery registration (非道路移动机械编码登记): excavators, loaders, forklifts and the like
//! with the emission stage of their engine, their owner and their site, routed to the grid; listed, looked
//! up by registration code and counted per period.

pub mod api;
pub mod service;

pub use api::routes;
