//! `demo` and `emulator`'s settings.

use std::path::PathBuf;

use super::resolver::Resolver;
use crate::cli::{Cmd, DemoArgs, EmulatorArgs, Flag};
use crate::env::Environment;

/// `demo`.
#[derive(Debug)]
pub(crate) struct DemoSettings {
    pub faults: bool,
    pub show_secret: bool,
}

impl DemoSettings {
    pub(crate) fn resolve(args: &DemoArgs, env: &Environment) -> DemoSettings {
        let mut r = Resolver::new(Cmd::Demo, env);
        DemoSettings {
            faults: !args.no_faults,
            show_secret: r.switch(Flag::ShowSecret, args.show_secret),
        }
    }
}

/// `emulator`.
#[derive(Debug)]
pub(crate) struct EmulatorSettings {
    pub port: u16,
    pub config: Option<PathBuf>,
    pub faults: bool,
}

impl EmulatorSettings {
    pub(crate) fn resolve(
        args: &EmulatorArgs,
        env: &Environment,
    ) -> anyhow::Result<EmulatorSettings> {
        let mut r = Resolver::new(Cmd::Emulator, env);
        Ok(EmulatorSettings {
            port: r.number(Flag::Port, args.port, 0..=u16::MAX)?,
            config: args.config.clone(),
            faults: args.faults,
        })
    }
}
